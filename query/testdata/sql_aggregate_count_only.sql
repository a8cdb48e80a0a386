SELECT count(*)
FROM (SELECT CAST("station" AS VARCHAR) AS "station" FROM read_parquet(?, union_by_name = true, hive_partitioning = false)) AS "src"
LIMIT ?
-- args:
-- 1: []string []string{"/var/lake/tables/air/data/a.parquet", "/var/lake/tables/air/data/b.parquet"}
-- 2: int64 1001
