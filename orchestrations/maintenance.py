"""Nightly housekeeping: a timer function that applies the result retention (``service/retention.py``).

03:00 UTC every day (NCRONTAB with seconds). The local host indexes timer functions but does not schedule them;
run the same sweep by hand with ``python -c "from service import retention; print(retention.purge())"``.
"""
from __future__ import annotations

import logging

import azure.durable_functions as df
import azure.functions as func

log = logging.getLogger(__name__)

bp = df.Blueprint()


@bp.timer_trigger(schedule="0 0 3 * * *", arg_name="timer", run_on_startup=False, use_monitor=True)
def purge_expired_results(timer: func.TimerRequest) -> None:
    from service import retention

    if timer.past_due:
        log.info("the retention sweep is running late")
    retention.purge()
