"""Writers and readers of a dataset in other formats.

Parquet (:mod:`.parquet`), the API's own JSON (:mod:`.json`), and CSV for spreadsheets
(:func:`.csv.write_csv`).
"""
