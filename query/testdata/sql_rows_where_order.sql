SELECT "station", "pm25"
FROM (SELECT CAST("station" AS VARCHAR) AS "station", CAST("observed_at" AS TIMESTAMP) AS "observed_at", CAST("obs_date" AS DATE) AS "obs_date", CAST("pm25" AS DOUBLE) AS "pm25", CAST("aqi" AS BIGINT) AS "aqi", CAST("valid" AS BOOLEAN) AS "valid" FROM read_parquet(?, union_by_name = true, hive_partitioning = false)) AS "src"
WHERE ("station" IN (CAST(? AS VARCHAR), CAST(? AS VARCHAR)) AND "pm25" >= CAST(? AS DOUBLE) AND "observed_at" < CAST(? AS TIMESTAMP) AND "obs_date" = CAST(? AS DATE) AND "valid" IS NOT NULL AND ("aqi" = CAST(? AS BIGINT) OR "station" = CAST(? AS VARCHAR)))
ORDER BY "pm25" DESC NULLS LAST, "station" ASC NULLS LAST
LIMIT ? OFFSET ?
-- args:
-- 1: []string []string{"/var/lake/tables/air/data/a.parquet", "/var/lake/tables/air/data/b.parquet"}
-- 2: string "S1"
-- 3: string "x'); DROP TABLE t; --"
-- 4: float64 35.5
-- 5: string "2025-05-31 01:30:00"
-- 6: string "2025-05-31"
-- 7: int64 5000000000
-- 8: string "x'); DROP TABLE t; --"
-- 9: int64 10
-- 10: int64 20
