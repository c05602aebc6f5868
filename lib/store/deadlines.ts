/**
 * Timeouts for many concurrent operations that all get the same time limit, on one timer.
 *
 * A `setTimeout` per store call means a Timeout object, a timer-list insert and a clearTimeout
 * for every request, although almost every call answers in time. With one limit per queue,
 * deadlines arrive in the order the calls started, so a FIFO queue and one timer armed for its
 * oldest deadline are enough.
 */
interface Pending {
  deadline: number;
  expire: () => void;
  previous: Pending | undefined;
  next: Pending | undefined;
}

/**
 * A doubly linked list in deadline order: a call that answers unlinks its entry at once, so
 * entries die young instead of living (and being promoted by the GC) until their deadline.
 */
class DeadlineQueue {
  readonly #ms: number;
  #first: Pending | undefined;
  #last: Pending | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(ms: number) {
    this.#ms = ms;
  }

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

  #arm(delay: number): void {
    // a pending deadline never keeps the process alive on its own
    this.#timer = setTimeout(this.#fire, Math.max(1, delay)).unref();
  }

  // the timer stays armed for a deadline whose call answered: when it fires, it re-arms for the
  // oldest deadline still pending (one timer callback per `ms` at most, not one per call)
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

/**
 * `work`, or a rejection with "<operation> timed out after <ms>ms" when it takes longer; `ms` 0 means
 * no limit. The timer is shared, so a timeout is only ever a rejection: what handles it runs where
 * the caller awaits, in the caller's request (its log lines carry that request, not the timer's).
 */
export function withTimeout<T>(work: Promise<T> | T, ms: number, operation: string): Promise<T> {
  if (!ms) return Promise.resolve(work);
  let queue = queues.get(ms);
  if (!queue) queues.set(ms, queue = new DeadlineQueue(ms));
  const deadlines = queue;
  return new Promise<T>((resolve, reject) => {
    const entry = deadlines.add(() => reject(new Error(`${operation} timed out after ${ms}ms`)));
    Promise.resolve(work).then(value => {
      deadlines.remove(entry);
      resolve(value);
    }, (error: unknown) => {
      deadlines.remove(entry);
      reject(error);
    });
  });
}
