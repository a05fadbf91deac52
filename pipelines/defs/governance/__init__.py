"""The governance gate shared by every job that publishes or extracts."""
