"""The one-stop shop's operations: the only writers of the motcua tables (each checks who may act,
keeps the invariants and writes the audit log).

- access: who may see and do what;
- catalogue: procedures, activation per agency, import and export;
- counter: intake, numbering, receipt, supplement at the counter, refusal, online submission;
- processing: hand-overs inside the resolving agency, appraisal, supplements that stop the clock,
  approval, return, withdrawal and stop;
- lookup: the public view by code, the electronic result by code and secret;
- slips: the printed forms (Mẫu 01, 02, 03, 05) and the counter's register (Mẫu 06).
"""
