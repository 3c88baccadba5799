"""``iqmstats plan init`` and ``plan lock``: write an analysis plan, and lock it before unblinding."""

from __future__ import annotations

import sys
from pathlib import Path


def register(commands) -> None:
    plan = commands.add_parser(
        "plan",
        help="write an analysis plan, or lock it before unblinding",
        description="iqmstats plan init --out plan.toml writes a commented plan listing every parameter of compare, "
        "ratings and power; iqmstats plan lock plan.toml checks every value and writes plan.lock.json (its SHA-256, "
        "the tool version, the time). Locking needs neither the key nor unblinded data; a lock is never replaced. "
        "Run it with --plan.",
    )
    actions = plan.add_subparsers(title="actions", required=True, metavar="ACTION")
    init = actions.add_parser("init", help="write a commented plan")
    init.add_argument("--out", type=Path, required=True, help="the plan to write (e.g. plan.toml)")
    init.set_defaults(run=_run_init, command_parser=init)
    lock = actions.add_parser("lock", help="check a plan and lock it")
    lock.add_argument("plan", type=Path, help="the plan (TOML)")
    lock.set_defaults(run=_run_lock, command_parser=lock)


def _run_init(args) -> int:
    from ..io.write import write_bytes
    from ..preregistration import plan_template

    write_bytes(plan_template().encode(), args.out)
    print(f"wrote {args.out}: fill it in, then: iqmstats plan lock {args.out}", file=sys.stderr)
    return 0


def _run_lock(args) -> int:
    import json

    from ..preregistration import lock_plan

    lock = lock_plan(args.plan)
    print(f"locked {args.plan}: sha256 {json.loads(lock.read_text())['sha256']} in {lock}", file=sys.stderr)
    return 0
