package schemas

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeLists writes files (name → content) into a fresh directory.
func writeLists(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	return dir
}

// installForTest installs set and puts the lists in place before the test back at its end.
func installForTest(t *testing.T, set *ListSet) {
	t.Helper()
	prev := Current()
	t.Cleanup(func() { Install(prev) })
	Install(set)
}

func TestLoadCodeListsEmbedded(t *testing.T) {
	set, err := LoadCodeLists("")
	require.NoError(t, err)
	assert.Empty(t, set.Replaced())
	for _, name := range ListNames() {
		l, ok := set.List(name)
		require.True(t, ok, name)
		installed, _ := List(name)
		assert.Equal(t, installed.Codes(), l.Codes(), name)
	}
}

func TestLoadCodeListsReplaces(t *testing.T) {
	dir := writeLists(t, map[string]string{
		// A BOM and a renamed label, as a spreadsheet saves it.
		"share_types.csv": "\xef\xbb\xbfid,name\nUNCONDITIONAL,无条件共享\nCONDITIONAL,依申请共享\nNOT_SHARED,不予共享\n",
		"categories.csv":  "code,id,name,parent\n01,ENV_QUALITY,生态环境质量,\n0101,AIR,大气,01\n0107,ENV_QUALITY_SEA,近岸海域环境质量,01\n",
		"districts.csv":   "code,name,short_name,kind\n500000,重庆市,市级,city\n500101,万州区,万州,district\n500199,新区,新区,functional_zone\n",
		// Extra columns are kept; the order of columns is free.
		"grades.csv": "rank,id,name,note,default_share_type,default_open_type\n1,GENERAL_1,一般1,a,UNCONDITIONAL,UNCONDITIONAL\n2,GENERAL_2,一般2,,UNCONDITIONAL,CONDITIONAL\n3,GENERAL_3,一般3,,CONDITIONAL,CONDITIONAL\n4,GENERAL_4,一般4,,CONDITIONAL,NOT_OPEN\n6,IMPORTANT,重要,,NOT_SHARED,NOT_OPEN\n9,CORE,核心,,NOT_SHARED,NOT_OPEN\n",
	})
	set, err := LoadCodeLists(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{"categories", "districts", "grades", "share_types"}, set.Replaced())
	domains, _ := set.List("domains")
	assert.Equal(t, Domains.Codes(), domains.Codes(), "a list without a file stays the embedded one")

	assert.False(t, Categories.Has("0107"), "nothing changes before Install")
	installForTest(t, set)
	assert.Equal(t, "依申请共享", ShareTypes.NameOf("CONDITIONAL"))
	assert.True(t, Categories.Has("0107"))
	assert.False(t, Categories.Has("0102"))
	assert.Equal(t, 9, Core.Rank())
	assert.Equal(t, "a", Grades.Codes()[0].Extra["note"])
	d, ok := LookupDistrict("新区")
	require.True(t, ok)
	assert.Equal(t, "500199", d.Code)
	_, ok = LookupDistrict("涪陵区")
	assert.False(t, ok, "a district the replacement dropped is no longer found")
	assert.Len(t, AllDistricts(), 3)
	l, _ := List("share_types")
	assert.Same(t, ShareTypes, l, "callers keep their *CodeList; its contents change")
}

func TestLoadCodeListsRefuses(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  []string // each must appear in the message
	}{
		{"unknown file names", map[string]string{"share_type.csv": "id,name\n", "README.txt": "x", "grades.csv.bak": "x"},
			[]string{"share_type.csv", "README.txt", "grades.csv.bak", "不是可替换的代码表文件", "share_types"}},
		{"bad quote", map[string]string{"domains.csv": "id,name\nWATER,治水\nAIR,\"治\"气\"\n"},
			[]string{"domains.csv 第 3 行第 7 个字符处", "引号"}},
		{"field count", map[string]string{"domains.csv": "id,name\nWATER,治水\nAIR,治气,多余\n"},
			[]string{"domains.csv 第 3 行", "列数与表头不一致"}},
		{"missing column", map[string]string{"update_cycles.csv": "id,name,hours\nIRREGULAR,不定时,0\n"},
			[]string{"update_cycles.csv 第 1 行", "缺少列 grace_hours"}},
		{"empty name", map[string]string{"domains.csv": "id,name\nWATER,治水\nAIR,\n"},
			[]string{"domains.csv 第 3 行第 2 列", "name 不能为空"}},
		{"duplicate id", map[string]string{"domains.csv": "id,name\nWATER,治水\nAIR,治气\nWATER,治水2\n"},
			[]string{"domains.csv 第 4 行第 1 列", "代码 “WATER” 重复"}},
		{"rank not a number", map[string]string{"grades.csv": "id,name,rank,default_share_type,default_open_type\nGENERAL_1,一般1,一,CONDITIONAL,NOT_OPEN\n"},
			[]string{"grades.csv 第 2 行第 3 列", "rank 应为不小于 1 的整数"}},
		{"required grade dropped", map[string]string{"grades.csv": "id,name,rank,default_share_type,default_open_type\nGENERAL_1,a,1,CONDITIONAL,NOT_OPEN\nGENERAL_2,b,2,CONDITIONAL,NOT_OPEN\nGENERAL_3,c,3,CONDITIONAL,NOT_OPEN\nGENERAL_4,d,4,CONDITIONAL,NOT_OPEN\nIMPORTANT,e,5,CONDITIONAL,NOT_OPEN\n"},
			[]string{"grades.csv", "缺少代码 CORE"}},
		{"same rank twice", map[string]string{"grades.csv": "id,name,rank,default_share_type,default_open_type\nGENERAL_1,a,1,CONDITIONAL,NOT_OPEN\nGENERAL_2,b,2,CONDITIONAL,NOT_OPEN\nGENERAL_3,c,3,CONDITIONAL,NOT_OPEN\nGENERAL_4,d,4,CONDITIONAL,NOT_OPEN\nIMPORTANT,e,5,CONDITIONAL,NOT_OPEN\nCORE,f,5,CONDITIONAL,NOT_OPEN\n"},
			[]string{"grades.csv 第 7 行第 3 列", "CORE 的级别 5 应大于 IMPORTANT 的级别 5"}},
		{"grades reordered", map[string]string{"grades.csv": "id,name,rank,default_share_type,default_open_type\nGENERAL_1,a,1,CONDITIONAL,NOT_OPEN\nGENERAL_3,c,2,CONDITIONAL,NOT_OPEN\nGENERAL_2,b,3,CONDITIONAL,NOT_OPEN\nGENERAL_4,d,4,CONDITIONAL,NOT_OPEN\nIMPORTANT,e,5,CONDITIONAL,NOT_OPEN\nCORE,f,6,CONDITIONAL,NOT_OPEN\n"},
			[]string{"grades.csv 第 3 行第 3 列", "GENERAL_3 的级别 2 应大于 GENERAL_2 的级别 3"}},
		{"a grade added", map[string]string{"grades.csv": "id,name,rank,default_share_type,default_open_type\nGENERAL_1,a,1,CONDITIONAL,NOT_OPEN\nGENERAL_2,b,2,CONDITIONAL,NOT_OPEN\nGENERAL_3,c,3,CONDITIONAL,NOT_OPEN\nGENERAL_4,d,4,CONDITIONAL,NOT_OPEN\nIMPORTANT,e,5,CONDITIONAL,NOT_OPEN\nCORE,f,6,CONDITIONAL,NOT_OPEN\nTOP,g,7,CONDITIONAL,NOT_OPEN\n"},
			[]string{"grades.csv 第 8 行第 1 列", "不能新增代码 “TOP”"}},
		{"a data type the code does not know", map[string]string{"data_types.csv": "id,name\nSTRING,s\nINT,i\nFLOAT,f\nBOOL,b\nDATE,d\nTIMESTAMP,t\nJSON,j\n"},
			[]string{"data_types.csv 第 8 行第 1 列", "不能新增代码 “JSON”"}},
		{"child category outside its parent", map[string]string{"categories.csv": "code,id,name,parent\n01,A,甲,\n0201,B,乙,01\n"},
			[]string{"categories.csv 第 3 行第 1 列", "应以上级分类代码 01 开头"}},
		{"district without the city", map[string]string{"districts.csv": "code,name,short_name,kind\n500101,万州区,万州区,district\n"},
			[]string{"districts.csv", "缺少代码 500000"}},
		{"district kind", map[string]string{"districts.csv": "code,name,short_name,kind\n500000,重庆市,市级,city\n500101,万州区,万州区,区\n"},
			[]string{"districts.csv 第 3 行第 4 列", "类型 “区” 应为以下之一"}},
		{"not UTF-8", map[string]string{"domains.csv": "id,name\nWATER,\xd6\xce\xcb\xae\n"},
			[]string{"domains.csv 第 2 行", "不是 UTF-8 编码"}},
		{"no codes", map[string]string{"domains.csv": "id,name\n"}, []string{"domains.csv: 没有任何代码"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeLists(t, c.files)
			set, err := LoadCodeLists(dir)
			require.Error(t, err)
			assert.Nil(t, set)
			assert.ErrorIs(t, err, ErrInvalid)
			var cerr *CodeListError
			require.True(t, errors.As(err, &cerr))
			msg, ok := UserMessage(err)
			require.True(t, ok)
			for _, w := range c.want {
				assert.Contains(t, msg, w)
			}
		})
	}
}

func TestLoadCodeListsMissingDir(t *testing.T) {
	_, err := LoadCodeLists(filepath.Join(t.TempDir(), "nope"))
	require.ErrorIs(t, err, ErrInvalid)
	assert.True(t, strings.Contains(err.Error(), "无法读取代码表目录"), err.Error())
}
