SELECT CASE WHEN "station" IS NULL THEN NULL ELSE regexp_extract("station", '^([^区县]*[区县])', 1) || '****' END AS "station", "aqi"
FROM (SELECT CAST("station" AS VARCHAR) AS "station", CAST("aqi" AS BIGINT) AS "aqi" FROM read_parquet(?, union_by_name = true, hive_partitioning = false)) AS "src"
WHERE ((NOT ("station" LIKE CAST(? AS VARCHAR) ESCAPE '\')) AND "aqi" <> CAST(? AS BIGINT))
ORDER BY "aqi" ASC NULLS LAST
LIMIT ? OFFSET ?
-- args:
-- 1: []string []string{"/var/lake/tables/air/data/a.parquet", "/var/lake/tables/air/data/b.parquet"}
-- 2: string "x'); DROP TABLE t; --"
-- 3: int64 5
-- 4: int64 11
-- 5: int64 0
