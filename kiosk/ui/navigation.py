"""Where the visitor is and how they got there: a plain history of routes. Imports no Kivy."""

from __future__ import annotations

from dataclasses import dataclass, field

HOME = "home"


@dataclass(frozen=True, slots=True)
class Route:
    """A screen name and what it shows (an entity id, a filter)."""

    screen: str
    target: str | None = None


@dataclass
class Navigator:
    """Back always leads somewhere, and Home empties the history: no dead ends."""

    max_depth: int = 30
    _stack: list[Route] = field(default_factory=lambda: [Route(HOME)])

    @property
    def current(self) -> Route:
        return self._stack[-1]

    @property
    def depth(self) -> int:
        return len(self._stack)

    def go(self, screen: str, target: str | None = None) -> Route:
        route = Route(screen, target)
        if screen == HOME:
            return self.home()
        if route != self.current:
            self._stack.append(route)
            # A visitor bouncing between linked pages must not grow the history forever.
            if len(self._stack) > self.max_depth:
                del self._stack[1]
        return route

    def back(self) -> Route:
        if len(self._stack) > 1:
            self._stack.pop()
        return self.current

    def home(self) -> Route:
        del self._stack[1:]
        return self.current
