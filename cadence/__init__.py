"""The domain of Discovery Cadence: no Slack, no clock; data and `now` come in, decisions go out."""
