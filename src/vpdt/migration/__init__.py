"""Importers from legacy e-office systems (`vpdt import`): CSV/XLSX exports with a mapping file,
folders of edXML packages, JSON Lines bundles. See docs/import.md."""
