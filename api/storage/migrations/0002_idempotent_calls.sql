ALTER TABLE `calls` ADD `call_id` text;--> statement-breakpoint
CREATE UNIQUE INDEX `calls_call_id` ON `calls` (`call_id`);--> statement-breakpoint
-- What a call cost is booked on its job when, and only when, the call is inserted: a journal commit sent
-- again after a network error skips its calls already in (ON CONFLICT (call_id) DO NOTHING), and their cost with them.
CREATE TRIGGER `calls_book_job_cost` AFTER INSERT ON `calls`
WHEN NEW.`job_id` IS NOT NULL AND NEW.`cost_usd` > 0
BEGIN
	UPDATE `jobs` SET `cost_usd` = `cost_usd` + NEW.`cost_usd` WHERE `id` = NEW.`job_id`;
END;
