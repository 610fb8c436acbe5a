"""The quiz flow: session (pure), marking, scheduling, store, prompts, rendering, summaries."""
