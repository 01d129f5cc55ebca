"""The agency side of the interconnection: outbox and inbox, delivery with retries,
edXML ⇄ records mapping, status feedback, reconciliation with paper registrations.

See docs/exchange.md.
"""
