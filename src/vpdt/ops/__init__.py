"""Operating the e-office: backup and restore, metrics, the operator's view, structured logs.

It sits above the apps it reads (core, exchange, the embedded hub) and below the faces (web),
beside reports."""
