/**
 * Runs a task one pass at a time however often it is woken: a wake during a
 * pass asks for exactly one more pass after it. Many "something changed"
 * signals become few passes over the database.
 */
export class SerialTask {
  private running = false;
  private again = false;

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {}

  wake(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    setImmediate(() => {
      this.pass()
        .catch(this.onError)
        .finally(() => {
          this.running = false;
          if (this.again) {
            this.again = false;
            this.wake();
          }
        });
    });
  }
}
