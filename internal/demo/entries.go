package demo

import (
	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

const (
	str   = schemas.String
	i64   = schemas.Int
	f64   = schemas.Float
	date  = schemas.Date
	stamp = schemas.Timestamp
	boole = schemas.Bool
)

// specs is the demo directory. Resource codes are 分类码/顺序码 with the provisional HJ 417 tree.
func specs() []spec {
	conditional := func(e catalog.Entry, cond string) catalog.Entry {
		e.ShareType, e.ShareCondition = "CONDITIONAL", cond
		return e
	}
	scenes := func(e catalog.Entry, business []string, scenes ...string) catalog.Entry {
		e.BusinessItems, e.Scenes = business, scenes
		return e
	}
	return []spec{
		// 治气
		{Entry: scenes(entry("0101/000001", "air_station_hourly", "空气质量自动监测站小时数据", "0101", "CTR_MONITORING", "ONLINE_MONITORING", schemas.Realtime, air,
			key(text("站点编码", "station_code", 16, g1)), req(text("站点名称", "station_name", 64, g1)), district("区县"),
			key(item("监测时间", "observed_at", stamp, g1)), item("PM2.5", "pm25", f64, g1), item("PM10", "pm10", f64, g1),
			item("臭氧", "o3", f64, g1), item("二氧化氮", "no2", f64, g1), item("二氧化硫", "so2", f64, g1),
			item("一氧化碳", "co", f64, g1), item("空气质量指数", "aqi", i64, g1)),
			[]string{"YW_AIR_MONITORING"}, "CJ_AIR", "YJS_POLLUTION_DAY"), load: fresh, rows: airStationRows},
		{Entry: scenes(entry("0101/000002", "air_autumn_winter_targets", "重点区县秋冬季治气攻坚目标", "0101", "DIV_AIR", "LOCAL_SYSTEM", schemas.Yearly, air,
			district("区县"), req(item("优良天数目标", "good_days_target", i64, g1)), req(item("PM2.5浓度目标", "pm25_target", f64, g1)),
			req(item("重污染天数目标", "heavy_pollution_days_target", i64, g1))),
			[]string{"YW_AIR_ASSESSMENT"}, "CJ_AIR"), load: fresh, file: "seed/autumn_winter_targets.csv"},
		{Entry: scenes(entry("0201/000003", "air_emission_reduction_counts", "区县涉气企业减排清单数量", "0201", "DIV_AIR", "DISTRICT_SUBMISSION", schemas.Yearly, air,
			district("区县"), req(item("数量", "enterprise_count", i64, g1))),
			[]string{"YW_EMISSION_LIST"}, "CJ_AIR", "YJS_POLLUTION_DAY"), load: fresh, file: "seed/emission_reduction_counts.csv"},
		{Entry: conditional(entry("0201/000004", "air_emission_reduction_list", "涉气企业应急减排清单", "0201", "DIV_AIR", "DISTRICT_SUBMISSION", schemas.Yearly, air,
			req(text("企业名称", "enterprise_name", 128, g2)), key(text("统一社会信用代码", "credit_code", 18, g2)), district("区县"),
			text("行业", "industry", 64, g1), text("减排措施", "measures", 512, g2),
			pi(text("联系人", "contact_name", 32, g3), "CN_NAME"), pi(text("联系电话", "contact_phone", 16, g3), "MOBILE")),
			"仅限生态环境部门应急减排管理使用"), load: never},
		{Entry: conditional(entry("0202/000005", "vehicle_roadside_inspections", "机动车路检路查记录", "0202", "CTR_VEHICLE", "DISTRICT_SUBMISSION", schemas.Daily, air,
			key(text("检测编号", "inspection_no", 32, g1)), district("区县"), req(item("检测时间", "inspected_at", stamp, g1)),
			pi(text("号牌号码", "plate", 16, g3), "PLATE"), text("车辆类型", "vehicle_type", 32, g1), text("排放标准", "emission_standard", 16, g1),
			req(item("检测结果合格", "passed", boole, g1))), "用于机动车排放监管"), load: stale, nrows: 120},
		{Entry: entry("0202/000006", "nonroad_machinery_registry", "非道路移动机械环保编码登记", "0202", "CTR_VEHICLE", "DISTRICT_SUBMISSION", schemas.Monthly, air,
			key(text("环保编码", "env_code", 32, g1)), district("区县"), text("机械类型", "machine_type", 32, g1),
			text("排放阶段", "emission_stage", 16, g1), item("登记日期", "registered_on", date, g1)), load: fresh, nrows: 200},
		{Entry: entry("0101/000007", "air_remote_sensing", "大气环境遥感监测成果", "0101", "CTR_MONITORING", "VERTICAL_RETURN", schemas.Monthly, air,
			key(text("成果编号", "product_no", 32, g1)), district("区县"), item("成像日期", "imaged_on", date, g1),
			text("监测要素", "element", 32, g1), item("疑似点位数", "suspect_sites", i64, g1)), load: never},
		{Entry: entry("0203/000008", "air_enterprise_online", "重点涉气企业在线监控数据", "0203", "CORPS_ENFORCEMENT", "ONLINE_MONITORING", schemas.Realtime, air,
			key(text("排口编码", "outlet_code", 32, g1)), req(text("企业名称", "enterprise_name", 128, g1)), district("区县"),
			key(item("监测时间", "observed_at", stamp, g1)), item("颗粒物浓度", "pm_mg", f64, g1), item("氮氧化物浓度", "nox_mg", f64, g1),
			item("二氧化硫浓度", "so2_mg", f64, g1)), load: stale, nrows: 300},
		{Entry: entry("0101/000009", "air_quality_daily", "城市空气质量日报", "0101", "CTR_MONITORING", "LOCAL_SYSTEM", schemas.Daily, air,
			district("区县"), key(item("日期", "day", date, g1)), item("空气质量指数", "aqi", i64, g1), text("首要污染物", "primary_pollutant", 16, g1),
			text("空气质量级别", "level", 16, g1)), load: fresh, nrows: 300},
		{Entry: entry("0203/000010", "open_burning_fire_points", "露天焚烧火点监测", "0203", "DIV_AIR", "VERTICAL_RETURN", schemas.Irregular, air,
			key(text("火点编号", "fire_no", 32, g1)), district("区县"), item("发现时间", "found_at", stamp, g1),
			item("经度", "lon", f64, g1), item("纬度", "lat", f64, g1), req(item("已处置", "handled", boole, g1))), load: stale, nrows: 60},
		// 治水
		{Entry: scenes(entry("0102/000011", "surface_water_sections", "地表水断面水质自动监测数据", "0102", "CTR_MONITORING", "VERTICAL_RETURN", schemas.Daily, water,
			key(text("断面编码", "section_code", 16, g1)), req(text("断面名称", "section_name", 64, g1)), text("河流", "river", 32, g1), district("区县"),
			key(item("监测日期", "sampled_on", date, g1)), req(text("水质类别", "water_class", 4, g1)), item("pH", "ph", f64, g1),
			item("溶解氧", "dissolved_oxygen", f64, g1), item("高锰酸盐指数", "permanganate_index", f64, g1),
			item("氨氮", "ammonia_nitrogen", f64, g1), item("总磷", "total_phosphorus", f64, g1)),
			[]string{"YW_WATER_ANOMALY"}, "CJ_WATER", "YJS_RIVER"), load: fresh, rows: waterSectionRows},
		{Entry: entry("0201/000012", "river_outfalls", "入河排污口名录", "0201", "DIV_WATER", "LOCAL_SYSTEM", schemas.Yearly, water,
			key(text("排污口编码", "outfall_code", 32, g1)), req(text("排污口名称", "outfall_name", 128, g1)), district("区县"),
			text("受纳水体", "receiving_water", 64, g1), text("排污口类型", "outfall_type", 32, g1), item("经度", "lon", f64, g2), item("纬度", "lat", f64, g2)),
			load: fresh, nrows: 150},
		{Entry: entry("0102/000013", "drinking_water_sources", "集中式饮用水水源地水质", "0102", "CTR_MONITORING", "LOCAL_SYSTEM", schemas.Monthly, water,
			key(text("水源地编码", "source_code", 32, g1)), req(text("水源地名称", "source_name", 64, g1)), district("区县"),
			key(item("监测月份", "month", date, g1)), req(item("达标", "compliant", boole, g1))), load: fresh, nrows: 120},
		{Entry: entry("0201/000014", "sewage_overflow_issues", "城市生活污水溢流问题台账", "0201", "DIV_WATER", "DISTRICT_SUBMISSION", schemas.Monthly, water,
			key(text("问题编号", "issue_no", 32, g1)), district("区县"), item("发现日期", "found_on", date, g1),
			text("问题描述", "description", 512, g1), req(item("已整改", "rectified", boole, g1))), load: stale, nrows: 80},
		{Entry: entry("0203/000015", "industrial_park_wastewater", "工业园区废水在线监测", "0203", "CORPS_ENFORCEMENT", "ONLINE_MONITORING", schemas.Daily, water,
			key(text("园区编码", "park_code", 32, g1)), district("区县"), key(item("监测日期", "sampled_on", date, g1)),
			item("化学需氧量", "cod_mg", f64, g1), item("氨氮", "ammonia_mg", f64, g1)), load: never},
		{Entry: entry("0102/000016", "rural_black_odorous_water", "农村黑臭水体清单", "0102", "DIV_SOIL", "DISTRICT_SUBMISSION", schemas.Quarterly, water,
			key(text("水体编号", "water_no", 32, g1)), req(text("水体名称", "water_name", 64, g1)), district("区县"),
			item("面积", "area_m2", f64, g1), req(item("已完成整治", "remediated", boole, g1))), load: fresh, nrows: 90},
		{Entry: entry("0102/000017", "cross_border_sections", "川渝跨界河流断面水质", "0102", "DIV_WATER", "VERTICAL_RETURN", schemas.Monthly, water,
			key(text("断面名称", "section_name", 64, g1)), text("河流", "river", 32, g1), district("区县"),
			key(item("监测月份", "month", date, g1)), req(text("水质类别", "water_class", 4, g1))), load: failed, nrows: 48},
		{Entry: entry("0102/000018", "river_chief_patrols", "河长巡河记录", "0102", "DIV_WATER", "DISTRICT_SUBMISSION", schemas.Irregular, water,
			key(text("巡河编号", "patrol_no", 32, g1)), district("区县"), text("河流", "river", 32, g1), item("巡河日期", "patrolled_on", date, g1),
			pi(text("河长姓名", "chief_name", 32, g3), "CN_NAME"), text("发现问题", "findings", 256, g1)), load: fresh, nrows: 100},
		// 治废
		{Entry: scenes(conditional(entry("0501/000019", "hazardous_waste_manifests", "危险废物转移联单", "0501", "CTR_SOLID_WASTE", "VERTICAL_RETURN", schemas.Daily, waste,
			key(text("联单编号", "manifest_no", 32, g2)), req(text("产生单位名称", "producer_name", 128, g2)), text("产生单位统一社会信用代码", "producer_credit_code", 18, g2),
			district("产生单位所在区县"), req(text("废物类别", "waste_category", 8, g2)), text("废物代码", "waste_code", 16, g2),
			req(item("转移量(吨)", "quantity_t", f64, g2)), req(text("接收单位名称", "receiver_name", 128, g2)),
			pi(text("运输车牌", "vehicle_plate", 16, g3), "PLATE"), pi(text("经办人", "handler_name", 32, g3), "CN_NAME"),
			pi(text("经办人电话", "handler_phone", 16, g3), "MOBILE"), req(item("转移日期", "transferred_on", date, g2))),
			"危险废物闭环监管使用"), []string{"YW_HAZWASTE_TRANSFER"}, "CJ_WASTE", "YJS_HAZWASTE_MANIFEST"), load: fresh, rows: hazardousManifestRows},
		{Entry: entry("0501/000020", "hazardous_waste_licences", "危险废物经营许可证", "0501", "DIV_SOLID_WASTE", "LOCAL_SYSTEM", schemas.Monthly, waste,
			key(text("许可证编号", "licence_no", 32, g1)), req(text("经营单位名称", "operator_name", 128, g1)), district("区县"),
			text("经营类别", "categories", 256, g1), item("核准经营规模(吨/年)", "capacity_tpy", f64, g1), item("有效期至", "valid_until", date, g1)),
			load: fresh, nrows: 60},
		{Entry: entry("0502/000021", "medical_waste_manifests", "医疗废物转移联单", "0502", "CTR_SOLID_WASTE", "VERTICAL_RETURN", schemas.Daily, waste,
			key(text("联单编号", "manifest_no", 32, g2)), req(text("医疗机构名称", "institution_name", 128, g2)), district("区县"),
			req(item("转移量(吨)", "quantity_t", f64, g2)), req(item("转移日期", "transferred_on", date, g2))), load: stale, nrows: 200},
		{Entry: entry("0501/000022", "hazardous_waste_producers", "危险废物产生单位名录", "0501", "DIV_SOLID_WASTE", "DISTRICT_SUBMISSION", schemas.Yearly, waste,
			key(text("统一社会信用代码", "credit_code", 18, g1)), req(text("单位名称", "name", 128, g1)), district("区县"),
			text("行业", "industry", 64, g1), item("年产生量(吨)", "annual_t", f64, g1)), load: fresh, nrows: 150},
		{Entry: entry("05/000023", "industrial_solid_waste_stats", "一般工业固体废物产生量统计", "05", "DIV_SOLID_WASTE", "DISTRICT_SUBMISSION", schemas.Yearly, waste,
			district("区县"), key(item("年份", "year", i64, g1)), item("产生量(万吨)", "generated_10kt", f64, g1), item("综合利用量(万吨)", "utilised_10kt", f64, g1)),
			load: never},
		{Entry: entry("0501/000024", "illegal_dumping_cases", "危险废物非法倾倒问题处置", "0501", "CORPS_ENFORCEMENT", "LOCAL_SYSTEM", schemas.Irregular, waste,
			key(text("案件编号", "case_no", 32, g2)), district("区县"), item("发现日期", "found_on", date, g2), text("处置情况", "handling", 256, g2)),
			load: stale, nrows: 30},
		{Entry: entry("0501/000025", "cross_province_whitelist", "危险废物跨省转移白名单", "0501", "DIV_SOLID_WASTE", "LOCAL_SYSTEM", schemas.Yearly, waste,
			key(text("废物类别", "waste_category", 8, g1)), req(text("类别名称", "category_name", 64, g1)), req(item("川渝互认", "mutual", boole, g1))),
			load: fresh, nrows: 27},
		{Entry: entry("0501/000026", "solid_waste_code_events", "渝固码赋码记录", "0501", "CTR_SOLID_WASTE", "ONLINE_MONITORING", schemas.Realtime, waste,
			key(text("渝固码", "waste_code_id", 32, g1)), district("区县"), req(item("赋码时间", "coded_at", stamp, g1)), text("环节", "stage", 16, g1)),
			load: stale, nrows: 400},
		{Entry: withGrade(entry("0501/000027", "hazardous_waste_facilities", "危险废物利用处置设施能力与库存", "0501", "DIV_SOLID_WASTE", "LOCAL_SYSTEM", schemas.Monthly, waste,
			key(text("设施编号", "facility_no", 32, schemas.Important)), req(text("设施名称", "facility_name", 128, schemas.Important)), district("区县"),
			item("处置能力(吨/日)", "capacity_tpd", f64, schemas.Important), item("当前库存(吨)", "stock_t", f64, schemas.Important),
			item("经度", "lon", f64, schemas.Important), item("纬度", "lat", f64, schemas.Important)), schemas.Important), load: fresh, nrows: 40},
		// entries that do not count towards the collection figure
		{Entry: secret(entry("0501/000028", "hazardous_waste_major_risks", "危险废物重大风险源分布", "0501", "DIV_SOLID_WASTE", "LOCAL_SYSTEM", schemas.Yearly, waste,
			key(text("风险源编号", "risk_no", 32, schemas.Core)), district("区县"))), load: never},
		{Entry: exempt(entry("0102/000029", "historic_water_yearbook", "水环境质量历史年鉴(纸质档案)", "0102", "DIV_WATER", "LOCAL_SYSTEM", schemas.Yearly, water,
			key(item("年份", "year", i64, g1)), text("卷册", "volume", 64, g1)), "纸质档案尚未数字化, 经审批暂不归集"), load: never},
		{Entry: entry("0103/000030", "groundwater_wells", "地下水环境监测井信息", "0103", "DIV_SOIL", "DISTRICT_SUBMISSION", schemas.Yearly, water,
			key(text("监测井编码", "well_code", 32, g1)), district("区县"), item("井深(米)", "depth_m", f64, g1)), load: never, draft: true},
	}
}

func withGrade(e catalog.Entry, g schemas.Grade) catalog.Entry {
	e.GradeOverride, e.ShareType, e.ShareCondition, e.OpenType = g, "NOT_SHARED", "", "NOT_OPEN"
	e.ShareCondition = "重要数据, 经审批后共享"
	return e
}

func secret(e catalog.Entry) catalog.Entry {
	e.Secret, e.ShareType, e.OpenType = true, "NOT_SHARED", "NOT_OPEN"
	e.ShareCondition = "涉密, 依据《中华人民共和国保守国家秘密法》不予共享"
	return e
}

func exempt(e catalog.Entry, reason string) catalog.Entry {
	e.Exempt, e.ExemptReason = true, reason
	return e
}
