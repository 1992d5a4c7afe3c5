-- A Worker claims a delivery by writing its lease, a column no index
-- holds: with room left in each page the new row version stays in the
-- page (a HOT update) and no index entry is written for it.
ALTER TABLE deliveries SET (fillfactor = 80);
