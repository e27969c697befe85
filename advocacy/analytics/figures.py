"""Group figures that never single anyone out.

Every number Candor shows about shares or clicks describes a set of employees. A
figure describing fewer than ``CANDOR_MIN_GROUP_SIZE`` of them is withheld ("too few
to show"). Withholding one cell of a breakdown is not enough when the total is shown
(total minus the shown cells gives it back), so more cells are withheld until the
withheld cells together describe no one or at least the minimum.

Employee ids go into these functions and never come out: a ``Figure`` is a label and
a number (or nothing).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Cell:
    """One count and the employees it describes (input only; never rendered)."""

    key: str
    label: str
    count: int = 0
    people: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: int | None  # None: too few people to show

    @property
    def shown(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class Breakdown:
    key: str
    title: str
    figures: tuple[Figure, ...]
    total: Figure

    @property
    def any_hidden(self) -> bool:
        return any(not f.shown for f in self.figures)

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)


def too_few(people: frozenset[int], minimum: int) -> bool:
    return 0 < len(people) < minimum


def suppress(cells: Sequence[Cell], *, minimum: int) -> list[Figure]:
    """Figures for ``cells``, withholding every cell about too few people, then the
    smallest remaining ones until what is withheld cannot be worked out as a
    difference from the total."""
    hidden = {cell.key for cell in cells if too_few(cell.people, minimum)}
    while True:
        withheld = frozenset().union(*(cell.people for cell in cells if cell.key in hidden))
        if not too_few(withheld, minimum):
            break
        candidates = [cell for cell in cells if cell.key not in hidden and cell.people]
        if not candidates:
            break
        smallest = min(candidates, key=lambda cell: (len(cell.people), cell.count, cell.key))
        hidden.add(smallest.key)
    return [Figure(cell.key, cell.label, None if cell.key in hidden else cell.count) for cell in cells]


def total_of(cells: Iterable[Cell], *, key: str, label: str, minimum: int) -> Figure:
    cells = list(cells)
    people = frozenset().union(*(cell.people for cell in cells))
    return Figure(key, label, None if too_few(people, minimum) else sum(cell.count for cell in cells))


def breakdown(
    *,
    key: str,
    title: str,
    cells: Sequence[Cell],
    minimum: int,
    total_label: str,
    hide_all: bool = False,
    parent: Figure | None = None,
) -> Breakdown:
    """A breakdown plus its total. ``hide_all`` withholds everything (the group the
    whole report is about is itself too small). ``parent`` is the figure elsewhere on
    the page that this breakdown splits up (sent shares per day split "sent"): when it
    is withheld, so is every cell here, or the cells would add up to it."""
    if hide_all or (parent is not None and not parent.shown):
        return Breakdown(
            key, title, tuple(Figure(c.key, c.label, None) for c in cells), Figure("total", total_label, None)
        )
    figures = suppress(cells, minimum=minimum)
    if parent is not None:
        total = Figure("total", total_label, parent.value)
    else:
        total = total_of(cells, key="total", label=total_label, minimum=minimum)
    return Breakdown(key, title, tuple(figures), total)
