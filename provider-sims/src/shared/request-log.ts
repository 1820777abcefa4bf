/** One request the simulator answered, as `GET /sim/state` lists it. */
export interface SeenRequest {
  at: string;
  method: string;
  path: string;
  status: number;
  /** What the route wants remembered: the model and parameters of a create, an id, a reason. */
  detail?: Record<string, unknown>;
}

/** The last `limit` requests answered. */
export class RequestLog {
  private readonly items: SeenRequest[] = [];

  constructor(private readonly limit = 500) {}

  record(request: Omit<SeenRequest, 'at'>): void {
    this.items.push({ at: new Date().toISOString(), ...request });
    if (this.items.length > this.limit) this.items.splice(0, this.items.length - this.limit);
  }

  list(): SeenRequest[] {
    return this.items.map((item) => ({ ...item }));
  }
}
