"""`attnquiz keypoints`: which key points an answer ticks, and why, as text and as JSON."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from quiz.cli import cli
from quiz.errors import ExitStatus

RIGHT = ("At step t only q_t is used: the single query of the newest token. With the causal mask the old "
         "outputs are fixed, so old queries are never read again; K and V are reused by every later query. "
         "A Q cache would be a waste.")


def test_text_report_shows_ticks_and_matched_words() -> None:
    result = CliRunner().invoke(cli, ["keypoints", "kv-no-q-cache", "--lang", "en"], input=RIGHT)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "kv-no-q-cache (en): 4 of 4 key points ticked"
    assert lines[1] == "  [x] 1. each step needs only the newest token's query"
    assert lines[2] == "        matched: 'single query'"


def test_json_report_from_a_file(tmp_path: Path) -> None:
    answer = tmp_path / "answer.txt"
    answer.write_text("因为因果 mask，历史 query 用不到。", encoding="utf-8")
    result = CliRunner().invoke(cli, ["keypoints", "kv-no-q-cache", "--lang", "zh", str(answer), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report) == {"question", "lang", "points", "ticked", "total"}
    assert (report["question"], report["lang"], report["ticked"], report["total"]) == ("kv-no-q-cache", "zh", 1, 4)
    assert report["points"][1] == {"text": "因果 mask 下历史输出不变，历史 query 不会再被使用", "ticked": True,
                                   "matched": ["因果", "历史 query"]}
    assert [p["ticked"] for p in report["points"]] == [False, True, False, False]


def test_missing_groups_are_shown() -> None:
    result = CliRunner().invoke(cli, ["keypoints", "kv-prefill-decode", "--lang", "en"],
                                input="Prefill runs the whole prompt at once; it is compute-bound.")
    assert "        missing any of: memory-bound | memory bound | bandwidth-bound" in result.output


def test_errors_are_one_line_with_the_usage_status(tmp_path: Path) -> None:
    cases = [
        (["keypoints", "kv-no-q-cach"], "x", "Error: no question 'kv-no-q-cach' in the banks; did you mean 'kv-no-q-cache'?"),
        (["keypoints", "kv-llama2-7b-per-token"], "x",
         "Error: question 'kv-llama2-7b-per-token' is a numeric question; keypoints marks open questions only"),
        (["keypoints", "kv-no-q-cache"], "  \n", "Error: the answer is empty; give a file or pipe the answer on standard input"),
    ]
    for argv, stdin, message in cases:
        result = CliRunner().invoke(cli, [*argv, "--lang", "en"], input=stdin)
        assert (result.exit_code, result.output.strip()) == (ExitStatus.USAGE, message)
    binary = tmp_path / "answer.bin"
    binary.write_bytes(b"\xff\xfe\x00")
    result = CliRunner().invoke(cli, ["keypoints", "kv-no-q-cache", str(binary), "--lang", "en"])
    assert result.exit_code == ExitStatus.USAGE and result.output.startswith("Error: cannot read the answer:")
