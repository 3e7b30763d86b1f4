"""Slack in a box: a loopback fake of Slack's Web API and a sender of signed requests, as
Slack makes them. The end-to-end tests and `discovery-bot demo` run against the same ones."""
