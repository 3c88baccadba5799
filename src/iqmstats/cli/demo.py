"""``iqmstats demo``: the defacing study, bundled, summarised."""

from __future__ import annotations

from .. import __version__
from ..examples import EXAMPLES, IXI_LABELS, load_example
from ..pipeline import summarise_study


def register(commands) -> None:
    demo = commands.add_parser(
        "demo",
        help="summarise the bundled defacing study (IXI, 579 participants x original/defaced)",
        description="Load the defacing study's real IQMs bundled with iqmstats and print who is in it "
        "and which IQMs can be analysed, with the reason for each one dropped.",
    )
    demo.set_defaults(run=_run_demo)


def _run_demo(args) -> int:
    table = load_example("ixi-iqms")
    summary = summarise_study(table, participant="sub", condition="defaced")
    screen = summary["screen"]
    conditions = ", ".join(f"{IXI_LABELS['defaced'][c]} {n}" for c, n in summary["conditions"].items())
    site_names = IXI_LABELS["site"]
    sites = ", ".join(f"{site_names[s]} {n}" for s, n in table.data["site"].value_counts().sort_index().items())
    print(f"iqmstats {__version__} demo: {EXAMPLES['ixi-iqms'].description}")
    print(table.describe())
    print(f"participants: {summary['n_participants']}; images per condition: {conditions}")
    print(f"images per site: {sites}")
    print(f"participants with an image under every condition: {summary['complete_participants']}")
    print(f"IQMs kept: {int(screen.kept.sum())} of {len(screen)}")
    dropped = screen[~screen.kept]
    print(f"IQMs dropped ({len(dropped)}):")
    for row in dropped.itertuples():
        print(f"  {row.iqm:<18} {row.reason:<14} {row.detail}")
    return 0
