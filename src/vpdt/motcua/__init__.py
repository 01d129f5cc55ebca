"""The one-stop shop (một cửa, một cửa liên thông): procedures, citizens' dossiers, the counter's
slips, the processing steps inside and across agencies (MOTCUA.md)."""
