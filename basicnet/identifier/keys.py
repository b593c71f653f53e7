"""Which key does what in the identifier, for the network at hand.

A key that names a class teaches the drawing on the canvas that class: the digits, and for a
network whose classes include letters, the letters too (matched against the class names the
network holds: 'a' or 'A' teaches EMNIST letters' 'Aa'). The window's own commands therefore
live on keys no class can have (Backspace, Tab, Space, Esc, →, Ctrl+S); R, E, S, N and Q are
shortcuts for them only while no class is a letter.
"""

from __future__ import annotations

import pygame

from ..teaching import class_for

COMMANDS = {pygame.K_BACKSPACE: "reset", pygame.K_DELETE: "reset", pygame.K_TAB: "map",
            pygame.K_SPACE: "flip", pygame.K_ESCAPE: "quit", pygame.K_RIGHT: "next"}
LETTER_SHORTCUTS = {pygame.K_r: "reset", pygame.K_e: "map", pygame.K_s: "save",
                    pygame.K_n: "next", pygame.K_q: "quit"}


class KeyMap:
    """Key events -> ("reset" | "map" | "flip" | "save" | "next" | "quit", None) or
    ("teach", class index); None for a key that means nothing here."""

    def __init__(self, classes):
        self.classes = list(classes)
        self.letters = any(ch.isalpha() for name in self.classes for ch in name)
        self.commands = dict(COMMANDS)
        if not self.letters:
            self.commands.update(LETTER_SHORTCUTS)

    def action(self, event) -> tuple[str, int | None] | None:
        if event.mod & pygame.KMOD_CTRL:
            return ("save", None) if event.key == pygame.K_s else None
        if event.key in self.commands:
            return self.commands[event.key], None
        typed = getattr(event, "unicode", "") or ""
        if len(typed) == 1 and typed.isprintable() and not typed.isspace():
            k = class_for(typed, self.classes)
            if k is not None:
                return "teach", k
        return None

    # what the window says about its keys, longest first (render.first_that_fits)
    def canvas_help(self) -> list[str]:
        if self.letters:
            return ["Backspace: reset · →: next picture · Esc: quit", "Backspace: reset", ""]
        return ["R: reset · N: next picture · Q: quit", "R: reset", ""]

    def map_help(self) -> list[str]:
        key = "Tab" if self.letters else "E"
        return [f"{key}: evidence map · Space: guess / runner-up · click a bar: its map",
                f"{key}: evidence map · Space: runner-up", f"{key}: map", ""]

    def teach_help(self, what: str) -> list[str]:
        """what: 'digit', 'letter', 'digit or letter'."""
        save = "Ctrl+S" if self.letters else "S"
        return [f"wrong? type the right {what} to teach it · {save}: save",
                f"wrong? type the right {what} · {save}: save", f"type to teach · {save}: save",
                ""]

    @property
    def save_key(self) -> str:
        return "Ctrl+S" if self.letters else "S"
