"""What waterwh says after a run, from the published marts: the run report (run_report), `waterwh status`
(summary) and the month's 通报 (briefing)."""
