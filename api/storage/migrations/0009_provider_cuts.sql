CREATE TABLE `provider_cuts` (
	`provider_id` text PRIMARY KEY NOT NULL,
	`concurrency` real NOT NULL,
	`rate_per_second` real,
	`cut_at` integer NOT NULL,
	`member_id` text NOT NULL
);
