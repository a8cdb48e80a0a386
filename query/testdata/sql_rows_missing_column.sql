SELECT "station", "valid"
FROM (SELECT CAST("station" AS VARCHAR) AS "station", CAST(NULL AS BOOLEAN) AS "valid" FROM read_parquet(?, union_by_name = true, hive_partitioning = false)) AS "src"
LIMIT ? OFFSET ?
-- args:
-- 1: []string []string{"/var/lake/tables/air/data/a.parquet", "/var/lake/tables/air/data/b.parquet"}
-- 2: int64 100
-- 3: int64 0
