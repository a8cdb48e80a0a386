SELECT "station", "obs_date", count(*), CAST(sum("pm25") AS DOUBLE), CAST(avg("aqi") AS DOUBLE), min("observed_at"), max("pm25")
FROM (SELECT CAST("station" AS VARCHAR) AS "station", CAST("observed_at" AS TIMESTAMP) AS "observed_at", CAST("obs_date" AS DATE) AS "obs_date", CAST("pm25" AS DOUBLE) AS "pm25", CAST("aqi" AS BIGINT) AS "aqi" FROM read_parquet(?, union_by_name = true, hive_partitioning = false)) AS "src"
WHERE ("station" = CAST(? AS VARCHAR))
GROUP BY "station", "obs_date"
ORDER BY "station" ASC NULLS LAST, "obs_date" ASC NULLS LAST
LIMIT ?
-- args:
-- 1: []string []string{"/var/lake/tables/air/data/a.parquet", "/var/lake/tables/air/data/b.parquet"}
-- 2: string "x'); DROP TABLE t; --"
-- 3: int64 1001
