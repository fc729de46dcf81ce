/**
 * What a home page gives away about the software behind it. Each pattern is
 * matched against one kind of evidence the parser collected: `src` (script
 * and iframe sources), `href` (stylesheets, links, form actions), `inline`
 * (inline script text), `generator` (<meta name=generator>), `attr`
 * (attribute names and ids on elements), `header` ("name: value" of chosen
 * response headers). These are patterns over URLs and text, never over HTML.
 */
export interface TechSignature {
  name: string;
  category:
    | 'Analytics'
    | 'Tag manager'
    | 'Marketing automation'
    | 'CRM forms'
    | 'Chat'
    | 'E-commerce'
    | 'CMS'
    | 'Front-end framework'
    | 'Payments'
    | 'Hosting'
    | 'Advertising'
    | 'Scheduling';
  src?: RegExp;
  href?: RegExp;
  inline?: RegExp;
  generator?: RegExp;
  attr?: RegExp;
  header?: RegExp;
}

export const TECH_SIGNATURES: TechSignature[] = [
  {
    name: 'Google Analytics',
    category: 'Analytics',
    src: /googletagmanager\.com\/gtag\/js|google-analytics\.com\/(?:analytics|ga)\.js/,
    inline: /\bgtag\(\s*['"]config['"]\s*,\s*['"](?:G|UA)-|GoogleAnalyticsObject/,
  },
  {
    name: 'Google Tag Manager',
    category: 'Tag manager',
    src: /googletagmanager\.com\/gtm\.js/,
    inline: /googletagmanager\.com\/gtm\.js|['"]GTM-[A-Z0-9]{4,}['"]/,
  },
  { name: 'Segment', category: 'Analytics', src: /cdn\.segment\.com\/analytics/, inline: /cdn\.segment\.com\/analytics/ },
  { name: 'Mixpanel', category: 'Analytics', src: /cdn\.mxpnl\.com|mixpanel(?:-\d+)?(?:\.min)?\.js/, inline: /mixpanel\.init\(/ },
  { name: 'Amplitude', category: 'Analytics', src: /cdn\.amplitude\.com/, inline: /amplitude\.(?:getInstance|init)\(/ },
  { name: 'Heap', category: 'Analytics', src: /cdn\.heapanalytics\.com/, inline: /heap\.load\(/ },
  { name: 'Hotjar', category: 'Analytics', src: /static\.hotjar\.com/, inline: /static\.hotjar\.com|_hjSettings/ },
  { name: 'Microsoft Clarity', category: 'Analytics', src: /clarity\.ms\/tag/, inline: /clarity\.ms\/tag/ },
  { name: 'Plausible', category: 'Analytics', src: /plausible\.io\/js/ },
  { name: 'Matomo', category: 'Analytics', src: /matomo\.js|piwik\.js/, inline: /_paq\.push\(/ },
  { name: 'Meta Pixel', category: 'Advertising', src: /connect\.facebook\.net\/[^"']*fbevents\.js/, inline: /\bfbq\(\s*['"]init['"]/ },
  { name: 'LinkedIn Insight Tag', category: 'Advertising', src: /snap\.licdn\.com/, inline: /_linkedin_partner_id/ },
  { name: 'HubSpot', category: 'Marketing automation', src: /js\.hs-scripts\.com|js\.hs-analytics\.net|js\.hubspot\.com|js\.hs-banner\.com/ },
  { name: 'HubSpot Forms', category: 'CRM forms', src: /js\.hsforms\.net/, inline: /hbspt\.forms\.create\(/ },
  { name: 'Marketo', category: 'Marketing automation', src: /munchkin\.marketo\.net|marketo\.com\/js\/forms2/, inline: /Munchkin\.init\(|MktoForms2/ },
  { name: 'Pardot', category: 'Marketing automation', src: /pi\.pardot\.com|pardot\.com\/pd\.js/, inline: /\bpiAId\b/, href: /go\.pardot\.com/ },
  { name: 'Mailchimp', category: 'Marketing automation', src: /chimpstatic\.com/, href: /list-manage\.com\/subscribe/ },
  { name: 'Klaviyo', category: 'Marketing automation', src: /static\.klaviyo\.com/ },
  { name: 'Salesforce Web-to-Lead', category: 'CRM forms', href: /webto\.salesforce\.com|servlet\.WebToLead/ },
  { name: 'Typeform', category: 'CRM forms', src: /embed\.typeform\.com/ },
  { name: 'Intercom', category: 'Chat', src: /widget\.intercom\.io|js\.intercomcdn\.com/, inline: /intercomSettings|widget\.intercom\.io/ },
  { name: 'Drift', category: 'Chat', src: /js\.driftt\.com|drift\.com\/include/, inline: /js\.driftt\.com/ },
  { name: 'Zendesk', category: 'Chat', src: /static\.zdassets\.com|zopim\.com/ },
  { name: 'Crisp', category: 'Chat', src: /client\.crisp\.chat/, inline: /CRISP_WEBSITE_ID/ },
  { name: 'LiveChat', category: 'Chat', src: /cdn\.livechatinc\.com/, inline: /__lc\.license/ },
  { name: 'Tawk.to', category: 'Chat', src: /embed\.tawk\.to/, inline: /embed\.tawk\.to/ },
  { name: 'Shopify', category: 'E-commerce', src: /cdn\.shopify\.com/, inline: /\bShopify\.shop\b/, header: /^x-shopid:|^x-shopify-stage:/ },
  { name: 'WooCommerce', category: 'E-commerce', src: /\/plugins\/woocommerce\//, href: /\/plugins\/woocommerce\//, generator: /^WooCommerce/i },
  { name: 'Magento', category: 'E-commerce', src: /\/static\/version\d+\/frontend\/|mage\/cookies/, inline: /Magento_/ },
  { name: 'BigCommerce', category: 'E-commerce', src: /cdn\d*\.bigcommerce\.com/ },
  { name: 'WordPress', category: 'CMS', generator: /^WordPress/i, src: /\/wp-(?:content|includes)\//, href: /\/wp-(?:content|includes)\/|\/wp-json\// },
  { name: 'Drupal', category: 'CMS', generator: /^Drupal/i, header: /^x-generator: drupal/i },
  { name: 'Joomla', category: 'CMS', generator: /^Joomla/i },
  { name: 'Webflow', category: 'CMS', generator: /^Webflow/i, attr: /^data-wf-(?:site|page)$/ },
  { name: 'Wix', category: 'CMS', generator: /^Wix\.com/i, src: /static\.parastorage\.com|static\.wixstatic\.com/ },
  { name: 'Squarespace', category: 'CMS', generator: /^Squarespace/i, src: /static1\.squarespace\.com|assets\.squarespace\.com/ },
  { name: 'Ghost', category: 'CMS', generator: /^Ghost/i },
  { name: 'HubSpot CMS', category: 'CMS', generator: /^HubSpot/i },
  { name: 'Framer', category: 'CMS', generator: /^Framer/i },
  { name: 'Next.js', category: 'Front-end framework', attr: /^id:__next(?:_data__)?$/i, src: /\/_next\/static\// },
  { name: 'Nuxt', category: 'Front-end framework', attr: /^id:__nuxt$/, src: /\/_nuxt\//, inline: /window\.__NUXT__/ },
  { name: 'Gatsby', category: 'Front-end framework', attr: /^id:___gatsby$/ },
  { name: 'React', category: 'Front-end framework', attr: /^data-reactroot$|^id:__next$/i, src: /react(?:-dom)?(?:\.production)?(?:\.min)?\.js/ },
  {
    name: 'Vue.js',
    category: 'Front-end framework',
    attr: /^data-v-app$|^data-server-rendered$/,
    src: /\bvue(?:\.runtime)?(?:\.global)?(?:\.prod)?(?:\.min)?\.js/,
    inline: /Vue\.createApp\(|new Vue\(/,
  },
  { name: 'Angular', category: 'Front-end framework', attr: /^ng-version$|^ng-app$/ },
  { name: 'Svelte', category: 'Front-end framework', attr: /^class:svelte-/ },
  { name: 'jQuery', category: 'Front-end framework', src: /jquery(?:[.-]\d[\d.]*)?(?:\.min)?\.js/ },
  { name: 'Bootstrap', category: 'Front-end framework', href: /bootstrap(?:\.min)?\.css/, src: /bootstrap(?:\.bundle)?(?:\.min)?\.js/ },
  { name: 'Stripe', category: 'Payments', src: /js\.stripe\.com/ },
  { name: 'Calendly', category: 'Scheduling', src: /assets\.calendly\.com/, href: /calendly\.com\// },
  { name: 'Cloudflare', category: 'Hosting', header: /^server: cloudflare$/i },
  { name: 'Vercel', category: 'Hosting', header: /^server: vercel$|^x-vercel-id:/i },
  { name: 'Netlify', category: 'Hosting', header: /^server: netlify$|^x-nf-request-id:/i },
];
