"""The engine's inbound door: where other providers deliver the transfers they pay to the
engine's provider (Besluit 17e.4), which start the receiving side's cases (17e.5)."""
