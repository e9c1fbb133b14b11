package repository

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/internal/codec"
	"github.com/tablestakes/tablestakes/internal/cursor"
	"github.com/tablestakes/tablestakes/internal/itemsize"
)

// Repository reads and writes items of type T in one table, through its key
// and its declared access patterns only. It is safe for concurrent use.
//
// T is a struct encoded with attributevalue's `dynamodbav` tags, by a codec
// planned once at [New] that writes and reads what attributevalue does
// (see the README, "What is stored is what you wrote"). It has a
// string id attribute ("id" unless [WithID] or [WithNaturalKey] says
// otherwise), from which the item's table key is composed ([WithKeys]).
type Repository[T any] struct {
	client Client
	table  index.Table
	s      settings
	pk, sk index.Template
	idPath []int
	// versionPath locates the version field; nil when not versioned.
	versionPath []int
	// versionBits is the size of the version field.
	versionBits int
	// entity names the item type in unique guard keys.
	entity string
	// entityType is the model's entity type, and entityTypeValue its
	// attribute value, shared by every item encoded (values are not
	// changed once built).
	entityType      string
	entityTypeValue types.AttributeValue
	// entityCond and foreign are sameEntity's condition and check, and
	// entityExpr the condition built, once at New.
	entityCond expression.ConditionBuilder
	entityExpr expression.Expression
	foreign    func(map[string]types.AttributeValue) bool
	// library is set for the library's own models, whose items live in
	// the reserved key space.
	library bool
	// tracer records spans, with spanAttrs on each; nil without
	// WithTracerProvider.
	tracer    trace.Tracer
	spanAttrs []attribute.KeyValue
	// indexAttrs are the key attributes of the secondary indexes.
	indexAttrs []string
	model      string
	derived    []derivation[T]
	hooks      []func(*T) error
	cursors    *cursor.Codec
	enc        *attributevalue.Encoder
	dec        *attributevalue.Decoder
	// items encodes and decodes items, planned once for T at New.
	items *codec.Typed[T]
	// notExists is Create's condition, built once.
	notExists expression.Expression
	// parentPath locates the parent field ([WithParent]); nil without one.
	parentPath []int
	// parent is the parent a repository returned by In is bound to, and
	// scopeErr why that repository cannot be used, if it cannot.
	parent   string
	scoped   bool
	scopeErr error
	// fields are the model's attributes, resolved as the encoder does;
	// declared are the attributes an Update may change; keyLimits the byte
	// limits and types of index key attributes.
	fields    map[string]modelField
	declared  map[string]bool
	keyLimits map[string]keyLimit
}

// In returns the repository bound to the parent whose id is parent, for a
// model declared [WithParent]: its methods that take an id find the item
// under that parent, and its Create and Put set an empty parent field to it
// (and refuse an item of another parent), and its Query and Page read the
// parent's partition only: a query of the base table without a partition
// value reads the parent's, and one of another partition fails with
// [index.ErrInvalidPattern]. The repositories share everything else; In is
// cheap. On a model without a parent, or with an empty or invalid parent
// id, the returned repository's calls fail before any request; Scan
// ignores the parent.
func (r *Repository[T]) In(parent string) *Repository[T] {
	c := *r
	c.parent, c.scoped, c.scopeErr = parent, true, nil
	switch {
	case r.parentPath == nil:
		c.scopeErr = &ModelError{Model: r.model, Reason: "In: the model declares no parent (WithParent)"}
	case parent == "":
		c.scopeErr = fmt.Errorf("%w: In(\"\") on %s", ErrParentRequired, r.model)
	}
	return &c
}

// parentOf returns item's parent field, or "".
func (r *Repository[T]) parentOf(item *T) string {
	if r.parentPath == nil {
		return ""
	}
	return reflect.ValueOf(item).Elem().FieldByIndex(r.parentPath).String()
}

// derivation is an attribute computed from others on every write.
type derivation[T any] struct {
	attr   string
	inputs []string
	fn     func(*T) any
}

// Derive declares attr as computed by fn from the attributes named in
// inputs, on every write path (principle 4): Create and Put store fn(item),
// and an Update that sets any input must set all of them, so fn sees them
// all and attr is updated in the same request. fn returning nil removes attr.
// Each input must be a field of the model; New refuses another name.
//
//	repository.Derive("nameLower", func(c *Company) any { return strings.ToLower(c.Name) }, "name")
func Derive[T any](attr string, fn func(*T) any, inputs ...string) Option {
	return func(s *settings) { s.derived = append(s.derived, derivation[T]{attr, inputs, fn}) }
}

// WithPrecompute runs fn on the item before every Create and Put (and
// transactional put), to compute attributes from the whole item, such as a
// count or a total. Partial updates do not run it; declare attributes that
// an Update must keep fresh with [Derive]. A model whose pointer type has a
// method Precompute() error gets it called the same way, before fn.
func WithPrecompute[T any](fn func(*T) error) Option {
	return func(s *settings) { s.precompute = append(s.precompute, fn) }
}

// Precomputer is implemented by models that compute their derived
// attributes themselves before each Create and Put.
type Precomputer interface {
	Precompute() error
}

// New returns a repository of T in table, calling DynamoDB through client.
// It validates the declaration, T and the options, and returns a
// [*ModelError] (matching [ErrInvalidModel]) or an index error when they
// cannot work together. It makes no request; call [index.Verify] at start-up
// to check the live table.
func New[T any](client Client, table index.Table, opts ...Option) (*Repository[T], error) {
	var zero T
	rt := reflect.TypeOf(zero)
	model := fmt.Sprint(rt)
	if rt == nil || rt.Kind() != reflect.Struct {
		return nil, &ModelError{Model: model, Reason: "a model must be a struct type"}
	}
	if client == nil {
		return nil, &ModelError{Model: model, Reason: "nil client"}
	}
	if err := table.Validate(); err != nil {
		return nil, err
	}
	r := &Repository[T]{client: client, table: table, model: model}
	c, err := codec.For[T]()
	if err != nil {
		var me *codec.ModelError
		if errors.As(err, &me) {
			return nil, &ModelError{Model: model, Reason: me.Reason}
		}
		return nil, &ModelError{Model: model, Reason: err.Error()}
	}
	r.items = c
	r.s = settings{idAttr: "id", batchTries: 8, batchConc: 8, batchBase: 50 * time.Millisecond, batchCap: 5 * time.Second}
	for _, o := range opts {
		if o != nil {
			o(&r.s)
		}
	}
	if r.s.logger == nil {
		r.s.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	r.pk, r.sk = r.s.pk, r.s.sk
	if r.pk == "" {
		r.pk = index.Template("{" + r.s.idAttr + "}")
	}
	r.fields = modelFields(rt)
	path, ft, ok := fieldPath(rt, r.s.idAttr)
	if !ok {
		return nil, &ModelError{Model: model, Reason: fmt.Sprintf("no field encodes as the id attribute %q", r.s.idAttr)}
	}
	if ft.Kind() != reflect.String {
		return nil, &ModelError{Model: model, Reason: fmt.Sprintf("id field %q is %s; want string", r.s.idAttr, ft)}
	}
	r.idPath = path
	if a := r.s.parentAttr; a != "" {
		pp, pt, ok := fieldPath(rt, a)
		switch {
		case !ok:
			return nil, &ModelError{Model: model, Reason: fmt.Sprintf("WithParent(%q): no field encodes as it", a)}
		case pt.Kind() != reflect.String:
			return nil, &ModelError{Model: model, Reason: fmt.Sprintf("WithParent(%q): field is %s; want string", a, pt)}
		case a == r.s.idAttr:
			return nil, &ModelError{Model: model, Reason: fmt.Sprintf("WithParent(%q): it is the id", a)}
		}
		r.parentPath = pp
	}
	if err := r.checkKeys(model); err != nil {
		return nil, err
	}
	if err := r.initEntityType(rt); err != nil {
		return nil, err
	}
	r.initTracer()
	if err := r.initSameEntity(); err != nil {
		return nil, err
	}
	for _, ix := range table.Indexes {
		pk, sk, _ := table.KeysOf(ix.Name)
		for _, k := range []index.Key{pk, sk} {
			if !k.IsZero() && !slices.Contains(table.KeyAttributes(), k.Name) && !slices.Contains(r.indexAttrs, k.Name) {
				r.indexAttrs = append(r.indexAttrs, k.Name)
			}
		}
	}
	if err := r.initVersion(rt); err != nil {
		return nil, err
	}
	if err := r.initUnique(rt); err != nil {
		return nil, err
	}
	if r.s.txTries <= 0 {
		r.s.txTries = 4
	}
	for _, d := range r.s.derived {
		dv, ok := d.(derivation[T])
		if !ok {
			return nil, &ModelError{Model: model, Reason: fmt.Sprintf("Derive for another model type: %T", d)}
		}
		if len(dv.inputs) == 0 || dv.fn == nil || dv.attr == "" {
			return nil, &ModelError{Model: model, Reason: fmt.Sprintf("Derive(%q) needs a function and its inputs", dv.attr)}
		}
		r.derived = append(r.derived, dv)
	}
	if err := r.initDeclarations(); err != nil {
		return nil, err
	}
	for _, h := range r.s.precompute {
		fn, ok := h.(func(*T) error)
		if !ok {
			return nil, &ModelError{Model: model, Reason: fmt.Sprintf("WithPrecompute for another model type: %T", h)}
		}
		if fn == nil {
			return nil, &ModelError{Model: model, Reason: "WithPrecompute(nil)"}
		}
		r.hooks = append(r.hooks, fn)
	}
	if r.s.batchConc < 1 {
		return nil, &ModelError{Model: model, Reason: fmt.Sprintf("WithBatchConcurrency(%d): at least 1", r.s.batchConc)}
	}
	for attr, n := range r.s.bounds {
		if n < 0 {
			return nil, &ModelError{Model: model, Reason: fmt.Sprintf("WithBound(%q, %d): negative bound", attr, n)}
		}
	}
	key := r.s.cursorKey
	if key == nil {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("repository: cursor key: %w", err)
		}
	}
	cursors, err := cursor.New(key)
	if err != nil {
		return nil, &ModelError{Model: model, Reason: "WithCursorSecret: " + err.Error()}
	}
	r.cursors = cursors
	r.enc = newEncoder()
	r.dec = attributevalue.NewDecoder()
	// The attributes items hold besides T's fields.
	known := append(table.KeyAttributes(), EntityTypeAttribute)
	known = append(known, r.indexAttrs...)
	known = append(known, r.s.attrs...)
	for _, d := range r.derived {
		known = append(known, d.attr)
	}
	for _, k := range r.s.indexKeys {
		known = append(known, k.attr)
	}
	r.items = r.items.Known(known...)
	if r.notExists, err = expression.NewBuilder().WithCondition(
		expression.AttributeNotExists(expression.NameNoDotSplit(table.PartitionKey.Name))).Build(); err != nil {
		return nil, &ModelError{Model: model, Reason: "partition key condition: " + err.Error()}
	}
	return r, nil
}

// Table returns the table declaration the repository uses.
func (r *Repository[T]) Table() index.Table { return r.table }

// Client returns the DynamoDB client the repository calls, for building
// related repositories and sending transactions of their writes.
func (r *Repository[T]) Client() Client { return r.client }

// Key returns the table key of the item whose id is id, or an [*IDError];
// on a model declared [WithParent], call it on [Repository.In], else it
// returns [ErrParentRequired].
func (r *Repository[T]) Key(id string) (map[string]types.AttributeValue, error) {
	return r.keyOf(id)
}

// idOf returns the id field of item.
func (r *Repository[T]) idOf(item *T) string {
	return reflect.ValueOf(item).Elem().FieldByIndex(r.idPath).String()
}

func (r *Repository[T]) setID(item *T, id string) {
	reflect.ValueOf(item).Elem().FieldByIndex(r.idPath).SetString(id)
}

// encode runs the precompute hooks, encodes item, and adds its keys and
// derived attributes; then checks bounds and size. It never sends anything.
// It returns the item and its key.
func (r *Repository[T]) encode(ctx context.Context, item *T) (map[string]types.AttributeValue, map[string]types.AttributeValue, error) {
	if r.scoped && r.scopeErr == nil && r.parentOf(item) == "" {
		// The hooks see the parent In bound the repository to.
		reflect.ValueOf(item).Elem().FieldByIndex(r.parentPath).SetString(r.parent)
	}
	if p, ok := any(item).(Precomputer); ok {
		if err := p.Precompute(); err != nil {
			return nil, nil, fmt.Errorf("repository: precompute: %w", err)
		}
	}
	for _, h := range r.hooks {
		if err := h(item); err != nil {
			return nil, nil, fmt.Errorf("repository: precompute: %w", err)
		}
	}
	key, err := r.keyOfItem(item)
	if err != nil {
		return nil, nil, err
	}
	// The codec checks every value and measures the item in one walk;
	// what is added or removed below keeps size the item's size.
	out, size, err := r.items.Encode(item, len(key)+1+len(r.derived)+len(r.s.indexKeys))
	if err != nil {
		var (
			ie *codec.InvalidError
			me *codec.ModelError
		)
		switch {
		case errors.As(err, &ie):
			return nil, nil, &ValueError{Attribute: ie.Path, Reason: ie.Reason}
		case errors.As(err, &me):
			return nil, nil, &ModelError{Model: r.model, Reason: me.Reason}
		}
		return nil, nil, fmt.Errorf("repository: encode %s: %w", r.model, err)
	}
	for name, v := range key {
		if err := setAttr(out, &size, name, v); err != nil {
			return nil, nil, err
		}
	}
	if err := setAttr(out, &size, EntityTypeAttribute, r.entityTypeValue); err != nil {
		return nil, nil, err
	}
	for _, d := range r.derived {
		if err := r.setDerived(out, &size, d, item); err != nil {
			return nil, nil, err
		}
	}
	for _, k := range r.s.indexKeys {
		if v, ok := composeIndexKey(k, out); ok {
			if err := setAttr(out, &size, k.attr, v); err != nil {
				return nil, nil, err
			}
		} else {
			dropAttr(out, &size, k.attr)
		}
	}
	// DynamoDB refuses an empty index key; an item without one simply
	// stays out of that (sparse) index.
	for _, attr := range r.indexAttrs {
		if emptyKey(out[attr]) {
			dropAttr(out, &size, attr)
		}
	}
	if err := r.checkItemSized(out, size); err != nil {
		return nil, nil, err
	}
	return out, key, nil
}

// setAttr sets the attribute name of item to v, after checking both as
// [itemsize.Check] would, and keeps *size the item's size. A NULL is left
// out, as the codec leaves out top-level NULLs.
func setAttr(item map[string]types.AttributeValue, size *int, name string, v types.AttributeValue) error {
	if _, null := v.(*types.AttributeValueMemberNULL); null {
		dropAttr(item, size, name)
		return nil
	}
	if f := itemsize.CheckName(name); f != nil {
		return valueFault("", f)
	}
	n, f := itemsize.CheckValue(v)
	if f != nil {
		return valueFault(name, f)
	}
	dropAttr(item, size, name)
	item[name] = v
	*size += len(name) + n
	return nil
}

// dropAttr removes the attribute name from item, keeping *size its size.
func dropAttr(item map[string]types.AttributeValue, size *int, name string) {
	if old, ok := item[name]; ok {
		*size -= len(name) + itemsize.Value(old)
		delete(item, name)
	}
}

// encodeValue encodes one attribute value as the expression builder does:
// a types.AttributeValue given as a value (an update's Set("tags",
// &types.AttributeValueMemberSS{...}), say) is taken as it is; anything else
// goes through the attributevalue encoder.
func (r *Repository[T]) encodeValue(v any) (types.AttributeValue, error) {
	switch v := v.(type) {
	case types.AttributeValue:
		return v, nil
	case types.AttributeValueMemberS:
		return &v, nil
	case types.AttributeValueMemberN:
		return &v, nil
	case types.AttributeValueMemberB:
		return &v, nil
	case types.AttributeValueMemberSS:
		return &v, nil
	case types.AttributeValueMemberNS:
		return &v, nil
	case types.AttributeValueMemberBS:
		return &v, nil
	case types.AttributeValueMemberM:
		return &v, nil
	case types.AttributeValueMemberL:
		return &v, nil
	case types.AttributeValueMemberNULL:
		return &v, nil
	case types.AttributeValueMemberBOOL:
		return &v, nil
	}
	return r.enc.Encode(v)
}

func (r *Repository[T]) setDerived(out map[string]types.AttributeValue, size *int, d derivation[T], item *T) error {
	v := d.fn(item)
	if v == nil {
		dropAttr(out, size, d.attr)
		return nil
	}
	av, err := r.encodeValue(v)
	if err != nil {
		return fmt.Errorf("repository: encode derived attribute %q: %w", d.attr, err)
	}
	return setAttr(out, size, d.attr, av)
}

func collectionLen(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberL:
		return len(v.Value)
	case *types.AttributeValueMemberM:
		return len(v.Value)
	case *types.AttributeValueMemberSS:
		return len(v.Value)
	case *types.AttributeValueMemberNS:
		return len(v.Value)
	case *types.AttributeValueMemberBS:
		return len(v.Value)
	}
	return 0
}

// decode decodes an item into a T.
func (r *Repository[T]) decode(item map[string]types.AttributeValue) (T, error) {
	var t T
	err := r.decodeInto(item, &t)
	return t, err
}

// decodeInto decodes an item into *t, which must be zero. It fails with a
// [*DecodeError] naming the item.
func (r *Repository[T]) decodeInto(item map[string]types.AttributeValue, t *T) error {
	if err := r.items.Decode(item, t); err != nil {
		de := &DecodeError{Table: r.table.Name, Model: r.model, Key: map[string]types.AttributeValue{}, Err: err}
		for _, k := range r.table.KeyAttributes() {
			if v, ok := item[k]; ok {
				de.Key[k] = v
			}
		}
		de.ID, _ = stringOf(item[r.s.idAttr])
		return de
	}
	return nil
}

// Decode decodes an item read from the table, such as the current item in a
// [*ConditionError], into a T. It fails with a [*DecodeError] (matching
// [ErrDecode]) naming the item.
func (r *Repository[T]) Decode(item map[string]types.AttributeValue) (T, error) {
	return r.decode(item)
}

// emptyKey reports a value DynamoDB refuses as a key: an empty string or
// binary, or null.
func emptyKey(v types.AttributeValue) bool {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return v.Value == ""
	case *types.AttributeValueMemberB:
		return len(v.Value) == 0
	case *types.AttributeValueMemberNULL:
		return true
	}
	return false
}
