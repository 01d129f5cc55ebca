"""The pages for people, one module per family of screens.

lists (queues and registers), document (a document's page and its files), actions (the
buttons and small forms of a document's page), incoming (receiving on paper, directing),
outgoing (drafting), delegation, notifications. Each view is thin: a Form reads the request
(vpdt.web.forms), a domain service does the work, the view says what happened.
"""
