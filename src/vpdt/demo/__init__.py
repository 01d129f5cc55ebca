"""The demo province: a fictional province with realistic names, codes, people and documents."""
