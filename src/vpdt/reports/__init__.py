"""Usage reports (issue 14): daily facts per agency, unit and person, the usage API's figures,
the province medians and the why-signals."""
