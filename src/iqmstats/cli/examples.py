"""``iqmstats examples [NAME]``: the bundled real data, and where it lies (for the README's recipes)."""

from __future__ import annotations


def register(commands) -> None:
    examples = commands.add_parser(
        "examples",
        help='list the bundled real data, or print the path of one (e.g. for --key "$(iqmstats examples ixi-key)")',
        description="Without NAME: every bundled example with what it holds and where it lies. With NAME: its path "
        "alone, for use in another command.",
    )
    examples.add_argument("name", nargs="?", help="an example's name (iqmstats examples lists them)")
    examples.set_defaults(run=_run_examples)


def _run_examples(args) -> int:
    from ..examples import EXAMPLES, example_path

    if args.name is not None:
        print(example_path(args.name))
        return 0
    for name, example in EXAMPLES.items():
        print(f"{name:<16} {example.description}\n{'':<16} {example_path(name)}")
    return 0
