DROP TABLE csv_import_rows;
DROP TABLE csv_imports;
