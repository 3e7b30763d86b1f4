"""The Slack surface: turns Slack requests into calls on `cadence`, decisions into messages."""
