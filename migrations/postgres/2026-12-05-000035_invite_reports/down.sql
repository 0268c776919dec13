DROP TABLE invite_report_lines;
DROP TABLE invite_reports;
