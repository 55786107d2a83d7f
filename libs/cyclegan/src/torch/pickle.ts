/**
 * A restricted unpickler: it reads the opcodes that PyTorch state_dict pickles use (protocol 2, as
 * torch.save writes them, plus the protocol 3-4 framing, strings and STACK_GLOBAL) and resolves only
 * the globals it is given. Nothing in the pickle is ever executed: an allowed global is a TypeScript
 * function of ours, and every other global is refused by a scan of the whole pickle before any value
 * is built (the same opcode set and the same "scan, then build" order as torch.load(weights_only=True),
 * pytorch torch/_weights_only_unpickler.py, with Python's pickle.py as the opcode reference).
 *
 * Values: None -> null, bool, int -> number (bigint beyond 2^53), float -> number, str -> string,
 * list -> array, tuple -> frozen array, dict -> Map. Globals come back as what their `call` returns.
 */

export class PickleError extends Error {
  override readonly name = 'PickleError';
}

/** A global the caller allows: `call` runs for REDUCE; `value` is what GLOBAL pushes when the global is not called. */
export interface AllowedGlobal {
  readonly call?: (args: readonly PickleValue[]) => PickleValue;
  readonly value?: object;
}

/** The object a GLOBAL opcode pushes for an allowed global. */
export class GlobalRef {
  constructor(readonly qualifiedName: string, readonly allowed: AllowedGlobal) {}
}

export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | readonly PickleValue[]
  | Map<PickleValue, PickleValue>
  | GlobalRef
  | object;

export interface UnpickleOptions {
  /** Globals by `module.name`; anything else is refused. */
  readonly globals: ReadonlyMap<string, AllowedGlobal>;
  /** Resolves a BINPERSID id (PyTorch's storages); without it persistent ids are refused. */
  readonly persistentLoad?: (pid: readonly PickleValue[]) => PickleValue;
}

export interface Unpickled {
  readonly value: PickleValue;
  /** Offset of the byte after STOP (several pickles follow each other in a legacy checkpoint). */
  readonly end: number;
}

const OP = {
  MARK: 0x28, STOP: 0x2e, BININT: 0x4a, BININT1: 0x4b, BININT2: 0x4d, NONE: 0x4e, BINPERSID: 0x51,
  REDUCE: 0x52, BINSTRING: 0x54, SHORT_BINSTRING: 0x55, BINUNICODE: 0x58, EMPTY_LIST: 0x5d, APPEND: 0x61,
  BUILD: 0x62, GLOBAL: 0x63, APPENDS: 0x65, BINGET: 0x68, LONG_BINGET: 0x6a, BINPUT: 0x71,
  LONG_BINPUT: 0x72, SETITEM: 0x73, TUPLE: 0x74, EMPTY_TUPLE: 0x29, SETITEMS: 0x75, BINFLOAT: 0x47,
  EMPTY_DICT: 0x7d, PROTO: 0x80, TUPLE1: 0x85, TUPLE2: 0x86, TUPLE3: 0x87, NEWTRUE: 0x88,
  NEWFALSE: 0x89, LONG1: 0x8a, SHORT_BINUNICODE: 0x8c, BINUNICODE8: 0x8d, STACK_GLOBAL: 0x93,
  MEMOIZE: 0x94, FRAME: 0x95,
} as const;

/** Names of the opcodes this reader refuses, for the error message (pickletools names). */
const REFUSED_OPCODES: Readonly<Record<number, string>> = {
  0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x46: 'FLOAT', 0x49: 'INT', 0x4c: 'LONG', 0x50: 'PERSID',
  0x53: 'STRING', 0x56: 'UNICODE', 0x64: 'DICT', 0x67: 'GET', 0x69: 'INST', 0x6c: 'LIST', 0x6f: 'OBJ',
  0x70: 'PUT', 0x81: 'NEWOBJ', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x8b: 'LONG4', 0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES', 0x8e: 'BINBYTES8', 0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS', 0x91: 'FROZENSET',
  0x92: 'NEWOBJ_EX', 0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER',
};

/** Python 2 module names that Python 3's unpickler maps (protocol < 3, fix_imports; _compat_pickle). */
const PY2_MODULES: Readonly<Record<string, string>> = { __builtin__: 'builtins', copy_reg: 'copyreg' };

/** `module.name` as Python 3 resolves it. */
function qualify(module: string, name: string): string {
  return `${PY2_MODULES[module] ?? module}.${name}`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads opcodes and their arguments with bounds checks; shared by the scan and the build. */
class OpcodeReader {
  pos: number;

  constructor(private readonly bytes: Uint8Array, start: number, private readonly view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)) {
    this.pos = start;
  }

  private need(n: number, what: string): number {
    const at = this.pos;
    if (n > this.bytes.length - at) throw new PickleError(`truncated pickle: ${what} at byte ${at} needs ${n} bytes, ${this.bytes.length - at} left`);
    this.pos += n;
    return at;
  }

  u8(what: string): number {
    return this.bytes[this.need(1, what)];
  }

  u16(what: string): number {
    return this.view.getUint16(this.need(2, what), true);
  }

  u32(what: string): number {
    return this.view.getUint32(this.need(4, what), true);
  }

  i32(what: string): number {
    return this.view.getInt32(this.need(4, what), true);
  }

  u64(what: string): number {
    const v = this.view.getBigUint64(this.need(8, what), true);
    if (v > BigInt(this.bytes.length)) throw new PickleError(`truncated pickle: ${what} of ${v} bytes at byte ${this.pos - 8}`);
    return Number(v);
  }

  f64be(what: string): number {
    return this.view.getFloat64(this.need(8, what), false);
  }

  slice(n: number, what: string): Uint8Array {
    const at = this.need(n, what);
    return this.bytes.subarray(at, at + n);
  }

  text(n: number, what: string): string {
    const raw = this.slice(n, what);
    try {
      return utf8.decode(raw);
    } catch {
      throw new PickleError(`${what} at byte ${this.pos - n} is not valid UTF-8`);
    }
  }

  /** A newline-terminated line (GLOBAL's module and name). */
  line(what: string): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end === -1) throw new PickleError(`truncated pickle: ${what} at byte ${this.pos} has no end of line`);
    const s = this.text(end - this.pos, what);
    this.pos = end + 1;
    return s;
  }

  /** LONG1: little-endian two's complement of n bytes. */
  long1(): number | bigint {
    const n = this.u8('LONG1 length');
    const raw = this.slice(n, 'LONG1');
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(raw[i]);
    if (n > 0 && raw[n - 1] & 0x80) v -= 1n << BigInt(8 * n);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }
}

function opcodeName(op: number): string {
  const known = Object.entries(OP).find(([, v]) => v === op)?.[0] ?? REFUSED_OPCODES[op];
  return `${known ?? 'unknown opcode'} (0x${op.toString(16).padStart(2, '0')})`;
}

function refusedGlobal(name: string): PickleError {
  const [module] = name.split('.');
  const alias = module === 'posix' || module === 'nt' ? ` (os${name.slice(module.length)})` : '';
  return new PickleError(`refusing to load: the pickle calls ${name}${alias}; a state_dict needs only tensors, dicts and lists`);
}

/**
 * Walks every opcode from `start` to STOP without building anything: refuses an opcode outside the
 * supported set and the first global that is not allowed. STACK_GLOBAL's operands must be the two
 * strings pushed just before it (as pickle.py writes them); anything else is refused.
 */
export function scanPickle(bytes: Uint8Array, start: number, globals: ReadonlyMap<string, unknown>): void {
  const r = new OpcodeReader(bytes, start);
  const memoStrings = new Map<number, string>();
  // The last two values pushed, when they were strings (for STACK_GLOBAL and MEMOIZE).
  let recent: Array<string | undefined> = [];
  const push = (s: string | undefined): void => {
    recent = [recent[recent.length - 1], s];
  };
  let memoCount = 0;
  const check = (name: string): void => {
    if (!globals.has(name)) throw refusedGlobal(name);
  };
  for (;;) {
    const at = r.pos;
    const op = r.u8('opcode');
    switch (op) {
      case OP.STOP:
        return;
      case OP.PROTO: r.u8('PROTO'); break;
      case OP.FRAME: r.u64('FRAME'); break;
      case OP.GLOBAL: {
        const name = qualify(r.line('GLOBAL module'), r.line('GLOBAL name'));
        check(name);
        push(undefined);
        break;
      }
      case OP.STACK_GLOBAL: {
        const [module, name] = recent;
        if (module === undefined || name === undefined) {
          throw new PickleError(`STACK_GLOBAL at byte ${at} does not name its global with two strings: refusing to load`);
        }
        check(qualify(module, name));
        push(undefined);
        break;
      }
      case OP.BINUNICODE: push(r.text(r.u32('BINUNICODE length'), 'BINUNICODE')); break;
      case OP.SHORT_BINUNICODE: push(r.text(r.u8('SHORT_BINUNICODE length'), 'SHORT_BINUNICODE')); break;
      case OP.BINUNICODE8: push(r.text(r.u64('BINUNICODE8 length'), 'BINUNICODE8')); break;
      case OP.SHORT_BINSTRING: push(r.text(r.u8('SHORT_BINSTRING length'), 'SHORT_BINSTRING')); break;
      case OP.BINSTRING: push(r.text(r.u32('BINSTRING length'), 'BINSTRING')); break;
      case OP.BINPUT: case OP.LONG_BINPUT: case OP.MEMOIZE: {
        const index = op === OP.BINPUT ? r.u8('BINPUT') : op === OP.LONG_BINPUT ? r.u32('LONG_BINPUT') : memoCount;
        memoCount = Math.max(memoCount, index + 1);
        const top = recent[1];
        if (top !== undefined) memoStrings.set(index, top);
        else memoStrings.delete(index);
        break;
      }
      case OP.BINGET: push(memoStrings.get(r.u8('BINGET'))); break;
      case OP.LONG_BINGET: push(memoStrings.get(r.u32('LONG_BINGET'))); break;
      case OP.BININT: r.i32('BININT'); push(undefined); break;
      case OP.BININT1: r.u8('BININT1'); push(undefined); break;
      case OP.BININT2: r.u16('BININT2'); push(undefined); break;
      case OP.BINFLOAT: r.f64be('BINFLOAT'); push(undefined); break;
      case OP.LONG1: r.long1(); push(undefined); break;
      case OP.MARK: case OP.EMPTY_DICT: case OP.EMPTY_LIST: case OP.EMPTY_TUPLE: case OP.TUPLE: case OP.TUPLE1:
      case OP.TUPLE2: case OP.TUPLE3: case OP.NONE: case OP.NEWTRUE: case OP.NEWFALSE: case OP.REDUCE:
      case OP.BUILD: case OP.BINPERSID: case OP.APPEND: case OP.APPENDS: case OP.SETITEM: case OP.SETITEMS:
        push(undefined);
        break;
      default:
        throw new PickleError(`unsupported pickle opcode ${opcodeName(op)} at byte ${at}: state_dict pickles do not use it, refusing to load`);
    }
  }
}

const MARK = Symbol('mark');
type StackItem = PickleValue | typeof MARK;

function isDict(v: unknown): v is Map<PickleValue, PickleValue> {
  return v instanceof Map;
}

/**
 * Scans the pickle at `start` (refusing what is not allowed), then builds its value. Throws
 * PickleError for anything malformed.
 */
export function unpickle(bytes: Uint8Array, start: number, options: UnpickleOptions): Unpickled {
  scanPickle(bytes, start, options.globals);
  const r = new OpcodeReader(bytes, start);
  const stack: StackItem[] = [];
  const memo = new Map<number, PickleValue>();
  let at = start;
  const fail = (why: string): never => {
    throw new PickleError(`malformed pickle at byte ${at}: ${why}`);
  };
  const pop = (): PickleValue => {
    if (stack.length === 0) fail('the stack is empty');
    const v = stack.pop()!;
    if (v === MARK) fail('unexpected MARK');
    return v as PickleValue;
  };
  const top = (): PickleValue => {
    const v = stack[stack.length - 1];
    if (stack.length === 0 || v === MARK) fail('no value on the stack');
    return v as PickleValue;
  };
  const popMark = (): PickleValue[] => {
    const i = stack.lastIndexOf(MARK);
    if (i === -1) fail('no MARK on the stack');
    const items = stack.splice(i) as PickleValue[];
    items.shift();
    return items;
  };
  const setItems = (dict: PickleValue, items: PickleValue[]): void => {
    if (!isDict(dict)) fail('SETITEM on something that is not a dict');
    for (let i = 0; i + 1 < items.length; i += 2) (dict as Map<PickleValue, PickleValue>).set(items[i], items[i + 1]);
  };
  const appendTo = (list: PickleValue, items: PickleValue[]): void => {
    if (!Array.isArray(list) || Object.isFrozen(list)) fail('APPEND on something that is not a list');
    (list as PickleValue[]).push(...items);
  };
  const global = (name: string): GlobalRef => {
    const allowed = options.globals.get(name);
    if (allowed === undefined) throw refusedGlobal(name);
    return new GlobalRef(name, allowed);
  };
  for (;;) {
    at = r.pos;
    const op = r.u8('opcode');
    switch (op) {
      case OP.STOP: {
        const value = pop();
        if (stack.length !== 0) fail(`${stack.length} values left on the stack at STOP`);
        return { value, end: r.pos };
      }
      case OP.PROTO: r.u8('PROTO'); break;
      case OP.FRAME: r.u64('FRAME'); break;
      case OP.MARK: stack.push(MARK); break;
      case OP.NONE: stack.push(null); break;
      case OP.NEWTRUE: stack.push(true); break;
      case OP.NEWFALSE: stack.push(false); break;
      case OP.BININT: stack.push(r.i32('BININT')); break;
      case OP.BININT1: stack.push(r.u8('BININT1')); break;
      case OP.BININT2: stack.push(r.u16('BININT2')); break;
      case OP.LONG1: stack.push(r.long1()); break;
      case OP.BINFLOAT: stack.push(r.f64be('BINFLOAT')); break;
      case OP.BINUNICODE: stack.push(r.text(r.u32('BINUNICODE length'), 'BINUNICODE')); break;
      case OP.SHORT_BINUNICODE: stack.push(r.text(r.u8('SHORT_BINUNICODE length'), 'SHORT_BINUNICODE')); break;
      case OP.BINUNICODE8: stack.push(r.text(r.u64('BINUNICODE8 length'), 'BINUNICODE8')); break;
      case OP.SHORT_BINSTRING: stack.push(r.text(r.u8('SHORT_BINSTRING length'), 'SHORT_BINSTRING')); break;
      case OP.BINSTRING: stack.push(r.text(r.u32('BINSTRING length'), 'BINSTRING')); break;
      case OP.EMPTY_DICT: stack.push(new Map()); break;
      case OP.EMPTY_LIST: stack.push([]); break;
      case OP.EMPTY_TUPLE: stack.push(Object.freeze([])); break;
      case OP.TUPLE: stack.push(Object.freeze(popMark())); break;
      case OP.TUPLE1: stack.push(Object.freeze([pop()])); break;
      case OP.TUPLE2: {
        const b = pop();
        stack.push(Object.freeze([pop(), b]));
        break;
      }
      case OP.TUPLE3: {
        const c = pop();
        const b = pop();
        stack.push(Object.freeze([pop(), b, c]));
        break;
      }
      case OP.APPEND: {
        const item = pop();
        appendTo(top(), [item]);
        break;
      }
      case OP.APPENDS: {
        const items = popMark();
        appendTo(top(), items);
        break;
      }
      case OP.SETITEM: {
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case OP.SETITEMS: {
        const items = popMark();
        if (items.length % 2 !== 0) fail('SETITEMS with an odd number of items');
        setItems(top(), items);
        break;
      }
      case OP.BINPUT: memo.set(r.u8('BINPUT'), top()); break;
      case OP.LONG_BINPUT: memo.set(r.u32('LONG_BINPUT'), top()); break;
      case OP.MEMOIZE: memo.set(memo.size, top()); break;
      case OP.BINGET: case OP.LONG_BINGET: {
        const index = op === OP.BINGET ? r.u8('BINGET') : r.u32('LONG_BINGET');
        if (!memo.has(index)) fail(`memo entry ${index} was never stored`);
        stack.push(memo.get(index)!);
        break;
      }
      case OP.GLOBAL: stack.push(global(qualify(r.line('GLOBAL module'), r.line('GLOBAL name')))); break;
      case OP.STACK_GLOBAL: {
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL operands are not strings');
        stack.push(global(qualify(module as string, name as string)));
        break;
      }
      case OP.REDUCE: {
        const args = pop();
        const callable = pop();
        if (!(callable instanceof GlobalRef) || callable.allowed.call === undefined) fail('REDUCE on something that is not an allowed function');
        if (!Array.isArray(args)) fail(`REDUCE arguments of ${(callable as GlobalRef).qualifiedName} are not a tuple`);
        try {
          stack.push((callable as GlobalRef).allowed.call!(args as PickleValue[]));
        } catch (error) {
          fail(`${(callable as GlobalRef).qualifiedName}: ${(error as Error).message}`);
        }
        break;
      }
      case OP.BUILD: {
        // Only the attributes an OrderedDict state_dict carries (its _metadata): read and dropped.
        const state = pop();
        if (!isDict(top()) || !(state === null || isDict(state))) fail('BUILD on something that is not a dict');
        break;
      }
      case OP.BINPERSID: {
        const pid = pop();
        if (options.persistentLoad === undefined) fail('persistent ids are not allowed here');
        if (!Array.isArray(pid)) fail('persistent id is not a tuple');
        try {
          stack.push(options.persistentLoad!(pid as PickleValue[]));
        } catch (error) {
          fail(`persistent id: ${(error as Error).message}`);
        }
        break;
      }
      default:
        fail(`unsupported opcode ${opcodeName(op)}`);
    }
  }
}

/** The value of a GLOBAL that was pushed but not called (e.g. a storage type in a persistent id). */
export function globalValue(v: PickleValue): object | undefined {
  return v instanceof GlobalRef ? v.allowed.value : undefined;
}
