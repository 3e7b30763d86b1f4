"""Block Kit builders, one module per subject: questions, interviews, the cadence's messages."""
