"""The identifier's window: `window.IdentifierWindow` routes events and composes the panels;
`state` holds the sketch on the canvas and the network's reading of it."""
