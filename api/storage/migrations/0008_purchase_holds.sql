CREATE TABLE `held_purchases` (
	`workspace_id` text NOT NULL,
	`provider_id` text NOT NULL,
	`input_key` text NOT NULL,
	`job_id` text NOT NULL,
	`seq` integer NOT NULL,
	`worker` text NOT NULL,
	`expires_at` integer,
	PRIMARY KEY(`workspace_id`, `provider_id`, `input_key`, `job_id`, `seq`)
);
--> statement-breakpoint
CREATE INDEX `held_purchases_row` ON `held_purchases` (`job_id`,`seq`);--> statement-breakpoint
ALTER TABLE `jobs` ADD `freshness_ms` integer;--> statement-breakpoint
ALTER TABLE `rows` ADD `purchases` text;--> statement-breakpoint
-- A row's holds in held_purchases are kept by these triggers alone (see its schema): at every change of its status and every
-- answer stored, whichever statement makes it, so no code path can forget a hold or leave one behind.
-- A row that starts running holds, under its lease holder, the purchases the cache lacks, or has only past the job's
-- freshness (an answer to buy again, which two instances refreshing at once would both buy).
CREATE TRIGGER `rows_hold_purchases` AFTER UPDATE OF `status` ON `rows`
WHEN NEW.`status` = 'running' AND OLD.`status` != 'running' AND NEW.`purchases` IS NOT NULL
BEGIN
	INSERT OR REPLACE INTO `held_purchases` (`workspace_id`, `provider_id`, `input_key`, `job_id`, `seq`, `worker`)
	SELECT j.`workspace_id`, p.value ->> 0, p.value ->> 1, NEW.`job_id`, NEW.`seq`, NEW.`locked_by`
	FROM `jobs` j, json_each(NEW.`purchases`) p
	WHERE j.`id` = NEW.`job_id` AND NOT EXISTS (
		SELECT 1 FROM `cache` c WHERE c.`workspace_id` = j.`workspace_id` AND c.`provider_id` = p.value ->> 0 AND c.`input_key` = p.value ->> 1
			AND (j.`freshness_ms` IS NULL OR c.`fetched_at` >= CAST(unixepoch('subsec') * 1000 AS INTEGER) - j.`freshness_ms`));
END;
--> statement-breakpoint
-- A row that stops running (done, released, taken back from a dead holder) lets go of what it still held.
CREATE TRIGGER `rows_release_purchases` AFTER UPDATE OF `status` ON `rows`
WHEN OLD.`status` = 'running' AND NEW.`status` != 'running'
BEGIN
	DELETE FROM `held_purchases` WHERE `job_id` = OLD.`job_id` AND `seq` = OLD.`seq`;
END;
--> statement-breakpoint
-- An answer stored, by a new key or over an older answer, ends every hold on its key: it is bought.
CREATE TRIGGER `cache_insert_ends_holds` AFTER INSERT ON `cache`
BEGIN
	DELETE FROM `held_purchases` WHERE `workspace_id` = NEW.`workspace_id` AND `provider_id` = NEW.`provider_id` AND `input_key` = NEW.`input_key`;
END;
--> statement-breakpoint
CREATE TRIGGER `cache_update_ends_holds` AFTER UPDATE ON `cache`
BEGIN
	DELETE FROM `held_purchases` WHERE `workspace_id` = NEW.`workspace_id` AND `provider_id` = NEW.`provider_id` AND `input_key` = NEW.`input_key`;
END;
--> statement-breakpoint
-- A member declared dead (its row forgotten) or stopped loses every hold: its lookups', and its rows' that taking its rows
-- back did not end (those of a job no longer running, which are not taken back).
CREATE TRIGGER `members_forgotten_end_holds` AFTER DELETE ON `members`
BEGIN
	DELETE FROM `held_purchases` WHERE `worker` = OLD.`id`;
END;
