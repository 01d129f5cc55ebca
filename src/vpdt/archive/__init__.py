"""Dossiers and the archive (issue 19, Decree 30 chương IV and Phụ lục VI): the agency's file
plan (danh mục hồ sơ) per year, dossiers filled as work happens, closing, the yearly transfer
to the agency archive (nộp lưu) as a signed package that verifies offline, reading in the
archive, and disposal of dossiers past their retention.

It sits above workflow (a dossier's trail is the documents' own history) beside reports, and
below the faces (web, api).
"""
