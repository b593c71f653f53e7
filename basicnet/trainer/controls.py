"""What a teacher's keys change in the trainer window, apart from pausing and saving: which view
the left column shows, the learning rate (a factor on the schedule's), one batch at a time, and
the neuron that is open. Plain state, no pygame: the window maps keys and clicks to these
methods and shows the messages they return.
"""

from __future__ import annotations

RATE_STEP = 1.25  # one key press multiplies or divides the learning rate by this


class Controls:
    def __init__(self, state, steering, inspector):
        self.state, self.steering, self.inspector = state, steering, inspector

    def switch_view(self) -> str:
        self.state.switch_view()
        return {"tiles": "showing the first layer's weights (M: the mistakes)",
                "mistakes": "showing where it errs (M: the weights)"}[self.state.view]

    def faster(self) -> str:
        return self.scale_rate(RATE_STEP)

    def slower(self) -> str:
        return self.scale_rate(1 / RATE_STEP)

    def scale_rate(self, factor: float) -> str:
        """Multiply the learning rate by `factor` from the next batch on (training reads the
        steering before every batch; its log notes the change)."""
        if self.state.finished:
            return "training is over: the learning rate no longer matters"
        self.steering.lr_scale *= factor
        return (f"learning rate ×{factor:.3g} from the next batch: ×{self.steering.lr_scale:.3g}"
                f" the schedule's")

    def step(self) -> str:
        """Train one more batch while paused, then wait again."""
        if self.state.finished:
            return "training is over"
        if not self.state.paused:
            return "N trains one batch at a time while paused: press Space first"
        self.state.steps += 1
        return "one batch: one step of gradient descent"

    def open(self, neuron: int) -> None:
        self.inspector.open(neuron)

    def close(self) -> bool:
        """Close the open neuron; whether one was open."""
        was = self.inspector.is_open
        self.inspector.close()
        return was
