-- Users made by `guildhall seed` (demo and benchmark data, all with the
-- documented default password). `serve` warns at start while any exist.
ALTER TABLE users ADD COLUMN seeded BOOLEAN NOT NULL DEFAULT FALSE;
