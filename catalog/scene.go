package catalog

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"
)

// Scene is an application scene: a "一件事" (one event handled end to end, e.g. 入河排污口问题处置)
// or a 综合场景 (巴渝治水). Entries name the scenes they serve (Entry.Scenes holds their codes);
// a scene's required entries are the entries that name it, and "一件事"上线运行率 counts the
// scenes whose required entries are all collected and which were queried lately.
type Scene struct {
	Code        string // stable id chosen by the steward, e.g. "YJS_OUTFALL"
	Name        string
	Kind        string // SceneOneThing or SceneComposite
	Department  string // Department.Code responsible
	Description string
	// Accounts are the scene accounts (principals of role scene) its application queries
	// through: "一件事"上线运行率 counts it in use when one of them queried lately.
	Accounts  []string
	Retired   bool
	Revision  uint64
	UpdatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Scene kinds.
const (
	SceneOneThing  = "one_thing" // 一件事
	SceneComposite = "composite" // 综合场景
)

// SceneKindNames are the Chinese names of the scene kinds.
var SceneKindNames = map[string]string{SceneOneThing: "一件事", SceneComposite: "综合场景"}

// SceneKind returns the kind id of v, a kind's id or its Chinese name; v itself when it is
// neither, for validation to refuse.
func SceneKind(v string) string { return kindID(SceneKindNames, v) }

const (
	tableScenes           = "scenes"
	indexScene            = "scene"
	cmdPutScene   cmdType = "put_scene"
	ckptScene     cmdType = "scene"
	indexBusiness         = "business_item"
)

func scenesTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name:    tableScenes,
		Indexes: map[string]*memdb.IndexSchema{indexID: idIndex("Code")},
	}
}

type putSceneCmd struct {
	Actor Actor  `json:"actor"`
	Scene Scene  `json:"scene"`
	Base  uint64 `json:"base"`
}

func init() {
	appliers[cmdPutScene] = applier{cmdVersion1, decodeApply(applyPutScene)}
}

// PutScene registers or changes an application scene on behalf of p: stewards their own
// department's, administrators any. base is the revision the change was made on (0 to register).
func (s *Store) PutScene(ctx context.Context, p *Principal, sc Scene, base uint64) error {
	sc.Description = clipNote(sc.Description)
	return s.submit(ctx, cmdPutScene, putSceneCmd{Actor: actorOf(p), Scene: sc, Base: base}, func(txn *memdb.Txn) error {
		if !Allowed(p, ActEditDirectory) {
			return errNoEdit
		}
		old, _ := first[Scene](txn, tableScenes, "scene", sc.Code)
		if err := checkLinkedBase("应用场景", sc.Code, old, base, func(o *Scene) (uint64, string, time.Time) { return o.Revision, o.UpdatedBy, o.UpdatedAt }); err != nil {
			return err
		}
		if old != nil {
			if err := mayEditDepartment(p, &Entry{ResourceCode: sc.Code, Department: old.Department}, nil); err != nil {
				return err
			}
		}
		if err := mayEditDepartment(p, nil, &Entry{Department: sc.Department}); err != nil {
			return err
		}
		pr := newProblems("应用场景 %s", sc.Code)
		pr.key("code", sc.Code)
		pr.required("name", sc.Name)
		if _, ok := SceneKindNames[sc.Kind]; !ok {
			pr.add("kind", "须为 %s（一件事）或 %s（综合场景）", SceneOneThing, SceneComposite)
		}
		checkDepartment(txn, pr, sc.Department)
		checkSceneAccounts(txn, pr, sc.Accounts)
		return pr.err()
	})
}

func applyPutScene(txn *memdb.Txn, rec *record, cmd *putSceneCmd) error {
	sc := cmd.Scene
	at := rec.At.UTC()
	sc.CreatedAt = at
	if old, err := first[Scene](txn, tableScenes, "scene", sc.Code); err == nil {
		sc.CreatedAt = old.CreatedAt
	}
	sc.UpdatedAt, sc.Revision, sc.UpdatedBy = at, rec.Index, cmd.Actor.Name
	if err := txn.Insert(tableScenes, &sc); err != nil {
		return fmt.Errorf("insert scene %s: %w", sc.Code, err)
	}
	return nil
}

// Scenes lists the application scenes, ordered by code.
func (v *View) Scenes() []*Scene {
	var out []*Scene
	each(v.txn, tableScenes, indexID, func(s *Scene) { c := *s; out = append(out, &c) })
	return out
}

// Scene returns one application scene.
func (v *View) Scene(code string) (*Scene, error) {
	s, err := first[Scene](v.txn, tableScenes, "scene", code)
	if err != nil {
		return nil, err
	}
	c := *s
	return &c, nil
}

// EntriesServing lists the entries that exist for p and serve a scene (kind "scene") or a
// business item (kind "business_item"), ordered by resource code.
func (v *View) EntriesServing(p *Principal, kind, code string) []*Entry {
	index := indexScene
	if kind == indexBusiness {
		index = indexBusiness
	}
	var out []*Entry
	each(v.txn, tableEntryMarks, index, func(e *Entry) {
		if exists(p, e) {
			out = append(out, e.Copy())
		}
	}, code)
	return out
}

// MaxSceneAccounts is how many scene accounts one scene may name.
const MaxSceneAccounts = 20

// checkSceneAccounts refuses accounts that are not scene accounts, repeated ones, and too many.
func checkSceneAccounts(txn *memdb.Txn, pr *problems, accounts []string) {
	if len(accounts) > MaxSceneAccounts {
		pr.add("accounts", "场景账号 %d 个，超过上限 %d 个", len(accounts), MaxSceneAccounts)
		return
	}
	seen := map[string]bool{}
	for _, a := range accounts {
		switch p := lookup[Principal](txn, tablePrincipals, a); {
		case seen[a]:
			pr.add("accounts", "场景账号“%s”重复", a)
		case p == nil:
			pr.add("accounts", "账号“%s”不存在", a)
		case p.Role != RoleScene:
			pr.add("accounts", "账号“%s”不是应用场景账号（角色为 %s）", a, p.Role)
		}
		seen[a] = true
	}
}
