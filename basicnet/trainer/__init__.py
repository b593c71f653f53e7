"""The trainer's live window: `window.TrainerWindow` routes events and composes the panels;
`history`, `budget`, `probe` and `state` hold what they show; `recorder` writes the GIF."""
