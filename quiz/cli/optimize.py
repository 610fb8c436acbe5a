"""`attnquiz optimize`: fit FSRS's parameters to your own review log (the optional optimizer extra)."""

from __future__ import annotations

import click

from quiz.cli.options import lang_option


@click.command()
@click.option("--save", is_flag=True, help="Write the fitted parameters to the settings file (fsrs_parameters).")
@lang_option
def optimize(save: bool) -> None:
    """Fit the FSRS scheduler's parameters to your reviews and show the change (--save keeps them).

    \b
    Needs the optimizer extra (fsrs-rs, FSRS's reference optimizer):
      pip install 'attnquiz[optimizer]'
    and enough history: a few hundred reviews that came a day or more apart.
    """
    from quiz import config
    from quiz.cli.options import settings
    from quiz.cli.practice import open_store
    from quiz.i18n import t
    from quiz.practice import optimize as fitting, render

    loaded = settings()
    fitting.binding()  # one line on how to install it, before any work
    with open_store() as store:
        reviews = store.reviews()
    fitted = fitting.fit(reviews, loaded.settings.fsrs_parameters)
    console = render.make_console(plain=True)
    render.line(console, t("optimize.trained", reviews=fitted.reviews))
    render.line(console, t("optimize.log_loss", before=f"{fitted.log_loss[0]:.4f}", after=f"{fitted.log_loss[1]:.4f}"))
    render.line(console, t("optimize.rmse", before=f"{100 * fitted.rmse[0]:.2f}%", after=f"{100 * fitted.rmse[1]:.2f}%"))
    for index, (old, new) in enumerate(zip(fitted.before, fitted.after)):
        render.line(console, f"  w[{index:>2}]  {old:>9.4f} → {new:>9.4f}")
    if not save:
        render.line(console, t("optimize.not_saved"))
        return
    path = config.config_path()
    config.set_value(path, "fsrs_parameters", "[" + ", ".join(repr(p) for p in fitted.after) + "]")
    render.line(console, t("optimize.saved", path=path))
