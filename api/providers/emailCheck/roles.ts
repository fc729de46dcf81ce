/** Local parts that name a function or a team, not a person: mail to them reaches whoever reads the shared inbox. */
export const ROLE_ACCOUNTS = new Set([
  'abuse', 'accounting', 'accounts', 'admin', 'administrator', 'all', 'billing', 'booking', 'careers', 'community', 'contact',
  'contactus', 'customerservice', 'customersupport', 'dev', 'developers', 'donotreply', 'do-not-reply', 'enquiries', 'enquiry',
  'events', 'everyone', 'feedback', 'finance', 'hello', 'help', 'helpdesk', 'hi', 'hostmaster', 'hr', 'info', 'inquiries',
  'inquiry', 'investors', 'ir', 'it', 'jobs', 'legal', 'mail', 'marketing', 'media', 'newsletter', 'no-reply', 'noreply',
  'office', 'orders', 'partners', 'postmaster', 'pr', 'press', 'privacy', 'recruiting', 'recruitment', 'reservations', 'root',
  'sales', 'security', 'service', 'shop', 'staff', 'support', 'sysadmin', 'team', 'webmaster', 'welcome',
  // German, French, Spanish, Dutch and Nordic shared inboxes common in European lead lists.
  'kontakt', 'vertrieb', 'buchhaltung', 'bestellung', 'verkauf', 'bonjour', 'commercial', 'compta', 'ventas', 'contacto',
  'verkoop', 'post', 'kundeservice', 'kundservice', 'salg', 'myynti',
]);
