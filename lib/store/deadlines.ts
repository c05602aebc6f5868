// One timer per time limit, not a setTimeout per store call: with one limit per queue, deadlines arrive in the order the calls started, so a FIFO
// queue and a timer armed for its oldest deadline are enough.
interface Pending { deadline: number; expire: () => void; previous: Pending | undefined; next: Pending | undefined }

// doubly linked: a call that answers unlinks its entry at once, so entries die young instead of being promoted by the GC
class DeadlineQueue {
  readonly #ms: number;
  #first: Pending | undefined;
  #last: Pending | undefined;
  #timer: NodeJS.Timeout | undefined;
  constructor(ms: number) { this.#ms = ms; }
  add(expire: () => void): Pending {
    const entry: Pending = { deadline: Date.now() + this.#ms, expire, previous: this.#last, next: undefined };
    if (this.#last) this.#last.next = entry;
    else this.#first = entry;
    this.#last = entry;
    if (!this.#timer) this.#arm(this.#ms);
    return entry;
  }
  remove(entry: Pending): void {
    const { previous, next } = entry;
    if (previous) previous.next = next;
    else if (this.#first === entry) this.#first = next;
    else return; // expired and removed already
    if (next) next.previous = previous;
    else this.#last = previous;
    entry.previous = entry.next = undefined;
  }
  // a pending deadline never keeps the process alive
  #arm(delay: number): void { this.#timer = setTimeout(this.#fire, Math.max(1, delay)).unref(); }
  // the timer stays armed for a deadline whose call answered: it re-arms for the oldest one pending (one callback per `ms` at most)
  readonly #fire = (): void => {
    this.#timer = undefined;
    const now = Date.now();
    while (this.#first && this.#first.deadline <= now) {
      const expired = this.#first;
      this.remove(expired);
      expired.expire();
    }
    if (this.#first) this.#arm(this.#first.deadline - now);
  };
}

const queues = new Map<number, DeadlineQueue>();
// `ms` 0: no limit. A timeout is only ever a rejection, so what handles it runs where the caller awaits, in the caller's
// request (its log lines carry that request, not the timer's).
export function withTimeout<T>(work: Promise<T> | T, ms: number, operation: string): Promise<T> {
  if (!ms) return Promise.resolve(work);
  const deadlines = queues.get(ms) ?? queues.set(ms, new DeadlineQueue(ms)).get(ms)!;
  return new Promise<T>((resolve, reject) => {
    const entry = deadlines.add(() => reject(new Error(`${operation} timed out after ${ms}ms`)));
    const settle = <A>(done: (a: A) => void) => (a: A) => { deadlines.remove(entry); done(a); };
    Promise.resolve(work).then(settle(resolve), settle(reject));
  });
}
