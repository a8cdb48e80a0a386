package api

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

const minimalEntry = `{"resource_code":"0102/000001","name":"水质","table":"wq","category_code":"地表水环境质量",
 "district":"万州区","status":"已发布","domains":["治水"],"update_cycle":"每月",
 "items":[{"name":"区县","field":"district_code","type":"字符串","grade":"一般数据1级","code_list":"districts"}]}`

func TestDecodeDirectoryShapes(t *testing.T) {
	cases := []struct {
		name, doc         string
		depts, entries    int
		wantErr, errMatch string
	}{
		{name: "one entry", doc: minimalEntry, entries: 1},
		{name: "array", doc: "[" + minimalEntry + "," + minimalEntry + "]", entries: 2},
		{name: "document", doc: `{"departments":[{"code":"DIV_WATER","name":"水处","kind":"division"}],"entries":[` + minimalEntry + `]}`, depts: 1, entries: 1},
		{name: "bom and blanks", doc: "\ufeff \n" + minimalEntry, entries: 1},
		{name: "unknown entry key", doc: `{"resource_code":"0102/000001","colour":"blue"}`, wantErr: `entries[0]: 未知的字段 "colour"`},
		{name: "unknown item key", doc: `[{"items":[{"name":"a","unit":"mg"}]}]`, wantErr: `entries[0]: 未知的字段 "unit"`},
		{name: "unknown department key", doc: `{"departments":[{"code":"A","head":"张三"}]}`, wantErr: `departments[0]: 未知的字段 "head"`},
		{name: "unknown document key", doc: `{"entries":[],"version":2}`, wantErr: `未知的字段 "version"`},
		{name: "wrong type", doc: `{"resource_code":"0102/000001","secret":"yes"}`, wantErr: "secret 的值类型不对"},
		{name: "bad date", doc: `{"publish_date":"昨天"}`, wantErr: "publish_date"},
		{name: "syntax", doc: `{"name": }`, wantErr: "JSON 格式错误"},
		{name: "trailing", doc: minimalEntry + " {}", wantErr: "JSON 格式错误"},
		{name: "trailing after array", doc: "[" + minimalEntry + "] 1", wantErr: "多余的内容"},
		{name: "scalar", doc: `"entry"`, wantErr: "JSON 对象或数组"},
		{name: "empty", doc: "  ", wantErr: "为空"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc, err := DecodeDirectory(strings.NewReader(c.doc))
			if c.wantErr != "" {
				require.Error(t, err)
				assert.ErrorIs(t, err, schemas.ErrInvalid)
				assert.Contains(t, err.Error(), c.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Len(t, doc.Departments, c.depts)
			assert.Len(t, doc.Entries, c.entries)
		})
	}
}

func TestDecodeDirectoryResolvesNames(t *testing.T) {
	doc, err := DecodeDirectory(strings.NewReader(minimalEntry))
	require.NoError(t, err)
	e := doc.Entries[0]
	assert.Equal(t, "0102", e.CategoryCode)
	assert.Equal(t, "500101", e.District)
	assert.Equal(t, "PUBLISHED", e.Status)
	assert.Equal(t, []string{"WATER"}, e.Domains)
	assert.Equal(t, schemas.Monthly, e.UpdateCycle)
	assert.Equal(t, schemas.String, e.Items.Slice()[0].Type)
	assert.Equal(t, schemas.General1, e.Items.Slice()[0].Grade)

	doc, err = DecodeDirectory(strings.NewReader(`{"name":"草稿"}`))
	require.NoError(t, err)
	assert.Equal(t, "DRAFT", doc.Entries[0].Status, "an entry without status is a draft")
}

// The load settings are read as written, the write mode by id or Chinese name, text trimmed.
func TestDecodeDirectoryReadsLoadSettings(t *testing.T) {
	for _, c := range []struct{ mode, want string }{{"upsert", "upsert"}, {"按主键更新", "upsert"}, {" 追加 ", "append"}, {"", ""}, {"覆盖", "覆盖"}} {
		doc, err := DecodeDirectory(strings.NewReader(`{"name":"水质","write_mode":"` + c.mode + `","rules":[" pm10 >= pm25 "],
			"max_rejected_percent":12.5,"partitions":["year(month)"],
			"items":[{"name":"PM2.5","field":"pm25","type":"数值","min":" 0 ","max":"1000"}]}`))
		require.NoError(t, err)
		e := doc.Entries[0]
		assert.Equal(t, c.want, e.WriteMode, c.mode)
		assert.Equal(t, []string{"pm10 >= pm25"}, e.Rules)
		assert.Equal(t, []string{"year(month)"}, e.Partitions)
		require.NotNil(t, e.MaxRejectedPercent)
		assert.Equal(t, 12.5, *e.MaxRejectedPercent)
		it := e.Items.Slice()[0]
		assert.Equal(t, [2]string{"0", "1000"}, [2]string{it.Min, it.Max})
	}
	doc, err := DecodeDirectory(strings.NewReader(minimalEntry))
	require.NoError(t, err)
	assert.Nil(t, doc.Entries[0].MaxRejectedPercent, "absent: the service's default")
}
