"""The operations on file plans, dossiers, transfers, readings and disposals; each checks
permission, changes state in one transaction and writes the audit log. One module per job:
fileplan, filing and dossiers, transfer and package, disposal, alerts and reading."""
